//! [`ContactMethodStore`] for PostgreSQL, behaving as SQLite's does.

use async_trait::async_trait;
use tocsin_core::paging::records::ContactMethod;
use tocsin_core::{ContactMethodId, UserId};

use super::bind::col;
use super::{bounded, conflict_as, rows, PgStore};
use crate::paging::{ContactMethodStore, NewDestination};
use crate::{paging_sql as sql, records, StoreError};

#[async_trait]
impl ContactMethodStore for PgStore {
    async fn create_contact_method(
        &self, user: UserId, m: NewDestination,
    ) -> Result<ContactMethod, StoreError> {
        let cm = records::contact_method(user, &m);
        bounded(async {
            let mut c = self.client().await?;
            let tx = c.transaction().await?;
            tx.execute(sql::PG_LOCK_OWNER, &[&user]).await?;
            tx.query_opt(sql::USER_EXISTS, &[&user])
                .await?
                .ok_or(StoreError::NotFound("user"))?;
            let count: i64 = col(
                &tx.query_one(sql::COUNT_CONTACT_METHODS, &[&user]).await?,
                0,
            )?;
            records::check_room(count, "contact methods")?;
            tx.execute(
                sql::INSERT_CONTACT_METHOD,
                &[
                    &cm.id,
                    &user,
                    &cm.kind.as_str(),
                    &cm.name,
                    &cm.target,
                    &cm.signing_secret,
                    &cm.created_at,
                ],
            )
            .await
            .map_err(|e| {
                conflict_as(e, || {
                    format!("you already have a contact method named {:?}", cm.name)
                })
            })?;
            tx.commit().await?;
            Ok(cm)
        })
        .await
    }

    async fn list_contact_methods(&self, user: UserId) -> Result<Vec<ContactMethod>, StoreError> {
        bounded(async {
            let rows = self
                .client()
                .await?
                .query(sql::LIST_CONTACT_METHODS, &[&user])
                .await?;
            rows::all(&rows, rows::contact_method)
        })
        .await
    }

    async fn get_contact_method(
        &self, user: UserId, id: ContactMethodId,
    ) -> Result<ContactMethod, StoreError> {
        bounded(async {
            self.client()
                .await?
                .query_opt(sql::GET_CONTACT_METHOD, &[&id, &user])
                .await?
                .as_ref()
                .map(rows::contact_method)
                .transpose()?
                .ok_or(StoreError::NotFound("contact method"))
        })
        .await
    }

    async fn delete_contact_method(
        &self, user: UserId, id: ContactMethodId,
    ) -> Result<(), StoreError> {
        bounded(async {
            match self
                .client()
                .await?
                .execute(sql::DELETE_CONTACT_METHOD, &[&id, &user])
                .await?
            {
                0 => Err(StoreError::NotFound("contact method")),
                _ => Ok(()),
            }
        })
        .await
    }
}
