//! Property tests of the escalation rules: for any valid policy and any firing times, steps
//! fire in order, once each per pass, no sooner than their delay after the previous firing,
//! and the passes stop where `repeat` says.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use tocsin_core::paging::escalation::{fire, start, Fired, MIN_LOOP_GAP};
use tocsin_core::paging::policy::{PolicyRules, Repeat, Step, Target};
use tocsin_core::UserId;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp(1_800_000_000, 0).expect("a valid instant")
}

fn policy() -> impl Strategy<Value = PolicyRules> {
    let step = (0u32..90, any::<bool>()).prop_map(|(delay_minutes, round_robin)| Step {
        delay_minutes,
        round_robin,
        targets: vec![Target::User { id: UserId::new() }],
    });
    (prop::collection::vec(step, 1..6), 0u8..4).prop_map(|(steps, n)| PolicyRules {
        repeat: Repeat::Times(n),
        ack_timeout_minutes: None,
        steps,
    })
}

proptest! {
    #[test]
    fn steps_fire_in_order_once_per_pass_and_never_early(
        rules in policy(),
        // How late the engine gets to each due row (0 = on time), in seconds.
        lateness in prop::collection::vec(0i64..7200, 64),
    ) {
        prop_assert_eq!(rules.validate(), Ok(()));
        let mut row = start(&rules, t0());
        let mut fired = Vec::new();
        let mut last_fire = t0();
        let mut i = 0;
        while let Some(esc) = row {
            prop_assert!(i < 64, "the policy did not end");
            let now = esc.due_at + Duration::seconds(lateness[i]);
            i += 1;
            // Never earlier than the step's delay after the previous firing.
            let delay = Duration::minutes(i64::from(rules.steps[esc.step as usize].delay_minutes));
            let min_gap = if esc.step == 0 && esc.loop_ > 0 { delay.max(MIN_LOOP_GAP) } else { delay };
            prop_assert!(esc.due_at - last_fire >= min_gap);
            let f = fire(&esc, &rules, now);
            match f.fired {
                Fired::Step(s) => {
                    prop_assert_eq!(s.late, lateness[i - 1] > 30);
                    fired.push((s.loop_, s.step));
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
            last_fire = now;
            row = f.next;
        }
        let Repeat::Times(n) = rules.repeat else { unreachable!() };
        let want: Vec<(u32, u32)> = (0..=u32::from(n))
            .flat_map(|l| (0..rules.steps.len() as u32).map(move |s| (l, s)))
            .collect();
        prop_assert_eq!(fired, want);
    }
}
