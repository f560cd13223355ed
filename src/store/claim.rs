//! The claim: a unique insert on `(job, slot, attempt)`, committed before a run starts.
//!
//! Whoever inserts the row owns the run; everyone else gets zero rows back, even two
//! clocks that both believe they lead (the pattern Solid Queue and GoodJob use). The
//! insert runs in autocommit, never inside a longer transaction, and carries two guards
//! the database checks with its own clock: the claimer must hold the lease, and the slot
//! must be due (a dyno whose clock runs fast cannot claim early). The same round trip
//! says whether another live clock still runs the job, for `overlap` across dynos.

use super::error::StoreError;

/// How far ahead of the database's clock a slot may be claimed.
pub const EARLY_TOLERANCE_SECS: f64 = 5.0;

/// `$1` job, `$2` slot, `$3` instance, `$4` dyno, `$5` early tolerance in seconds.
pub const CLAIM: &str = r#"
WITH held AS (
    SELECT 1 FROM heroku_clock.lease
     WHERE name = 'scheduler' AND holder = $3 AND expires_at > now()
), due AS (
    SELECT now() >= $2::timestamptz - $5::float8 * interval '1 second' AS ok
), claimed AS (
    INSERT INTO heroku_clock.runs (job, slot, attempt, status, instance, dyno)
    SELECT $1::text, $2::timestamptz, 1, 'claimed', $3, $4
     WHERE EXISTS (SELECT 1 FROM held) AND (SELECT ok FROM due)
    ON CONFLICT (job, slot, attempt) DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM claimed) AS won,
       EXISTS (SELECT 1 FROM held) AS leading,
       (SELECT ok FROM due) AS due,
       EXISTS (
           SELECT 1 FROM heroku_clock.runs r
             JOIN heroku_clock.clocks c ON c.instance = r.instance
            WHERE r.job = $1 AND r.status IN ('claimed', 'running')
              AND r.instance <> $3 AND c.expires_at > now()
       ) AS busy_elsewhere
"#;

/// [`CLAIM`] for several slots in one statement (one round trip, one transaction): `$1`
/// jobs, `$2` slots (the same length), `$3` instance, `$4` dyno, `$5` early tolerance. One
/// row per asked slot: job, slot, then the four columns of [`CLAIM`].
pub const CLAIM_MANY: &str = r#"
WITH held AS (
    SELECT 1 FROM heroku_clock.lease
     WHERE name = 'scheduler' AND holder = $3 AND expires_at > now()
), asked AS (
    SELECT job, slot FROM unnest($1::text[], $2::timestamptz[]) AS a(job, slot)
), claimed AS (
    INSERT INTO heroku_clock.runs (job, slot, attempt, status, instance, dyno)
    SELECT job, slot, 1, 'claimed', $3, $4 FROM asked
     WHERE EXISTS (SELECT 1 FROM held)
       AND now() >= slot - $5::float8 * interval '1 second'
    ON CONFLICT (job, slot, attempt) DO NOTHING
    RETURNING job, slot
)
SELECT a.job, a.slot,
       EXISTS (SELECT 1 FROM claimed c WHERE c.job = a.job AND c.slot = a.slot) AS won,
       EXISTS (SELECT 1 FROM held) AS leading,
       now() >= a.slot - $5::float8 * interval '1 second' AS due,
       EXISTS (
           SELECT 1 FROM heroku_clock.runs r
             JOIN heroku_clock.clocks k ON k.instance = r.instance
            WHERE r.job = a.job AND r.status IN ('claimed', 'running')
              AND r.instance <> $3 AND k.expires_at > now()
       ) AS busy_elsewhere
  FROM asked a
"#;

/// `$1` job, `$3` instance: whether another live clock still runs the job.
pub const BUSY_ELSEWHERE: &str = r#"
SELECT EXISTS (
    SELECT 1 FROM heroku_clock.runs r
      JOIN heroku_clock.clocks c ON c.instance = r.instance
     WHERE r.job = $1 AND r.status IN ('claimed', 'running')
       AND r.instance <> $2 AND c.expires_at > now()
)
"#;

/// What the database said to one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub won: bool,
    pub leading: bool,
    pub due: bool,
    pub busy_elsewhere: bool,
}

/// What the claim means for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Ours: start it (subject to overlap, with `busy_elsewhere`).
    Won { busy_elsewhere: bool },
    /// The row was there already: another clock (or an earlier claim) has it.
    Taken,
    /// The database says this clock does not hold the lease.
    NotLeading,
    /// The database's clock says the slot is not due: the dyno's clock is fast.
    Early,
}

/// Reads an [`Answer`]. The order matters: a clock without the lease inserted nothing,
/// whatever else is true.
pub fn decide(answer: Answer) -> Verdict {
    if answer.won {
        Verdict::Won {
            busy_elsewhere: answer.busy_elsewhere,
        }
    } else if !answer.leading {
        Verdict::NotLeading
    } else if !answer.due {
        Verdict::Early
    } else {
        Verdict::Taken
    }
}

/// Turns the claim's row into an [`Answer`].
///
/// # Errors
/// A [`StoreError`] when the row does not have the expected columns.
pub fn read_answer(row: &tokio_postgres::Row) -> Result<Answer, StoreError> {
    read_answer_at(row, 0)
}

/// [`read_answer`] for a row whose four answer columns start at `first`.
///
/// # Errors
/// A [`StoreError`] when the row does not have the expected columns.
pub fn read_answer_at(row: &tokio_postgres::Row, first: usize) -> Result<Answer, StoreError> {
    let get = |offset: usize| {
        let index = first + offset;
        row.try_get::<_, Option<bool>>(index)
            .map(|value| value.unwrap_or(false))
            .map_err(|error| StoreError::query("reading a claim", &error))
    };
    Ok(Answer {
        won: get(0)?,
        leading: get(1)?,
        due: get(2)?,
        busy_elsewhere: get(3)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(won: bool, leading: bool, due: bool, busy_elsewhere: bool) -> Answer {
        Answer {
            won,
            leading,
            due,
            busy_elsewhere,
        }
    }

    #[test]
    fn only_an_inserted_row_is_a_run() {
        let cases = [
            (
                answer(true, true, true, false),
                Verdict::Won {
                    busy_elsewhere: false,
                },
            ),
            (
                answer(true, true, true, true),
                Verdict::Won {
                    busy_elsewhere: true,
                },
            ),
            (answer(false, true, true, false), Verdict::Taken),
            (answer(false, true, true, true), Verdict::Taken),
            (answer(false, false, true, false), Verdict::NotLeading),
            (answer(false, false, false, false), Verdict::NotLeading),
            (answer(false, true, false, false), Verdict::Early),
        ];
        for (answer, expected) in cases {
            assert_eq!(decide(answer), expected, "{answer:?}");
        }
    }
}
