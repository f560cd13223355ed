//! The shortest wall-clock distance between two consecutive matches of an expression:
//! what a jitter must stay under. Worked out from the fields (time-of-day points, then the
//! closest pair of matching days), not by enumerating runs.

use super::calendar;
use super::fields::Fields;

impl Fields {
    /// Seconds between the two closest consecutive matches, on the wall clock (a DST change
    /// can shorten one such gap a year by up to the size of the shift). `None` when the
    /// expression never fires.
    pub(crate) fn min_gap_seconds(&self) -> Option<u64> {
        let s = values(self.seconds, 60);
        let m = values(self.minutes, 60);
        let h = values(u64::from(self.hours), 24);
        let (s0, s1) = (*s.first()?, *s.last()?);
        let (m0, m1) = (*m.first()?, *m.last()?);
        let (h0, h1) = (*h.first()?, *h.last()?);

        let mut best = u64::MAX;
        for pair in s.windows(2) {
            best = best.min(pair[1] - pair[0]);
        }
        for pair in m.windows(2) {
            best = best.min((pair[1] - pair[0]) * 60 - (s1 - s0));
        }
        let minute_span = (m1 * 60 + s1) - (m0 * 60 + s0);
        for pair in h.windows(2) {
            best = best.min((pair[1] - pair[0]) * 3600 - minute_span);
        }
        let day_span = (h1 * 3600 + m1 * 60 + s1) - (h0 * 3600 + m0 * 60 + s0);
        if let Some(days) = self.min_day_distance() {
            best = best.min(days * 86_400 - day_span);
        }
        (best != u64::MAX).then_some(best)
    }

    /// The fewest days between two matching days. 2001-2029 holds every kind of year
    /// (weekday of January 1st × leap or not) and every year-to-year succession, which is
    /// all the day rules depend on; a rarer pattern falls back to a full 400-year cycle.
    fn min_day_distance(&self) -> Option<u64> {
        self.min_day_distance_in(2001, 2030)
            .or_else(|| self.min_day_distance_in(2000, 2400))
    }

    fn min_day_distance_in(&self, from_year: i32, to_year: i32) -> Option<u64> {
        // Walk month by month carrying the weekday of the 1st and its day number, instead
        // of recomputing them from the date: this runs for every job with a jitter.
        const LENGTHS: [[u32; 12]; 2] = [
            [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
            [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
        ];
        let mut first = calendar::weekday(from_year, 1, 1);
        let mut month_start = calendar::days_from_civil(from_year, 1, 1) - 1;
        let mut previous: Option<i64> = None;
        let mut best = i64::MAX;
        for year in from_year..to_year {
            let lengths = &LENGTHS[usize::from(calendar::is_leap(year))];
            for (i, &len) in lengths.iter().enumerate() {
                if self.months & (2 << i) != 0 {
                    let mask = self.day_mask_for_shape(first, len);
                    if mask != 0 {
                        let low = i64::from(mask.trailing_zeros());
                        let high = i64::from(31 - mask.leading_zeros());
                        if let Some(p) = previous {
                            best = best.min(month_start + low - p);
                        }
                        if mask.count_ones() > 1 {
                            // The smallest k with two matching days k apart.
                            if let Some(k) = (1..31).find(|&k| mask & (mask >> k) != 0) {
                                best = best.min(i64::from(k));
                            }
                        }
                        if best == 1 {
                            return Some(1);
                        }
                        previous = Some(month_start + high);
                    }
                }
                first = (first + len) % 7;
                month_start += i64::from(len);
            }
        }
        u64::try_from(best).ok().filter(|&b| b != i64::MAX as u64)
    }
}

fn values(mask: u64, span: u64) -> Vec<u64> {
    (0..span).filter(|v| mask & (1 << v) != 0).collect()
}
