//! [`ContactMethodStore`] for SQLite: each user's methods, apart from everyone else's.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};
use tocsin_core::paging::records::ContactMethod;
use tocsin_core::{ContactMethodId, UserId};

use super::rows;
use super::time::to_db;
use super::SqliteStore;
use crate::paging::{ContactMethodStore, NewDestination};
use crate::{paging_sql as sql, records, StoreError};

#[async_trait]
impl ContactMethodStore for SqliteStore {
    async fn create_contact_method(
        &self, user: UserId, m: NewDestination,
    ) -> Result<ContactMethod, StoreError> {
        let cm = records::contact_method(user, &m);
        self.writer
            .write(move |c| {
                c.query_row(sql::USER_EXISTS, params![user], |_| Ok(()))
                    .optional()?
                    .ok_or(StoreError::NotFound("user"))?;
                let count: i64 =
                    c.query_row(sql::COUNT_CONTACT_METHODS, params![user], |r| r.get(0))?;
                records::check_room(count, "contact methods")?;
                c.execute(
                    sql::INSERT_CONTACT_METHOD,
                    params![
                        cm.id,
                        user,
                        cm.kind.as_str(),
                        cm.name,
                        cm.target,
                        cm.signing_secret,
                        to_db(cm.created_at)
                    ],
                )
                .map_err(|e| {
                    StoreError::from(e).conflict_as(|| {
                        format!("you already have a contact method named {:?}", cm.name)
                    })
                })?;
                Ok(cm.clone())
            })
            .await
    }

    async fn list_contact_methods(&self, user: UserId) -> Result<Vec<ContactMethod>, StoreError> {
        self.read(move |c| {
            let rows = c
                .prepare_cached(sql::LIST_CONTACT_METHODS)?
                .query_map(params![user], rows::contact_method)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn get_contact_method(
        &self, user: UserId, id: ContactMethodId,
    ) -> Result<ContactMethod, StoreError> {
        self.read(move |c| {
            c.prepare_cached(sql::GET_CONTACT_METHOD)?
                .query_row(params![id, user], rows::contact_method)
                .optional()?
                .ok_or(StoreError::NotFound("contact method"))
        })
        .await
    }

    async fn delete_contact_method(
        &self, user: UserId, id: ContactMethodId,
    ) -> Result<(), StoreError> {
        self.writer
            .write(
                move |c| match c.execute(sql::DELETE_CONTACT_METHOD, params![id, user])? {
                    0 => Err(StoreError::NotFound("contact method")),
                    _ => Ok(()),
                },
            )
            .await
    }
}
