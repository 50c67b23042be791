//! The calendar of the data files' readers (Excel, Stata, SPSS, Parquet): day counts to the
//! civil date and back, proleptic Gregorian, after Howard Hinnant's `civil_from_days` and
//! `days_from_civil` (<https://howardhinnant.github.io/date_algorithms.html>). Each format
//! counts from its own epoch; they all come here as days since 1970-01-01. Numbers that are
//! not dates are shown here too, alike in every reader ([`decimal`]).

use std::io::Write as _;

/// Days from 0000-03-01 to 1970-01-01.
const EPOCH_SHIFT: i64 = 719_468;

/// Days in 400 years.
const ERA: i64 = 146_097;

/// The year, month and day `days` after 1970-01-01. Counts near `i64`'s ends give dates
/// far out of any range a reader shows, never an overflow.
pub(super) fn civil(days: i64) -> (i64, i64, i64) {
    let z = days.saturating_add(EPOCH_SHIFT);
    let era = z.div_euclid(ERA);
    let doe = z.rem_euclid(ERA);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The day count since 1970-01-01 of year `y`, month `m` (1-12), day `d`.
pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * ERA + doe - EPOCH_SHIFT
}

/// Appends `x` in decimal: its shortest form, which for an integral value is its digits,
/// in exponent form when below 1e-5 or from 1e16 on.
pub(super) fn decimal(text: &mut Vec<u8>, x: f64) {
    let exponent = x != 0.0 && !(1e-5..1e16).contains(&x.abs());
    // Writing to a `Vec` cannot fail.
    let _ = if exponent {
        write!(text, "{x:e}")
    } else {
        write!(text, "{x}")
    };
}

/// The days from 1970-01-01 of the first and last dates shown, 0001-01-01 and 9999-12-31;
/// others are shown as numbers.
const FIRST_DAY: i64 = -719_162;
const LAST_DAY: i64 = 2_932_896;

const SECONDS_PER_DAY: i64 = 86_400;

/// Appends `seconds` (since the day `epoch` days after 1970-01-01) as `YYYY-MM-DD`, and
/// ` HH:MM:SS` after it when `time` is set; `None` (and nothing appended) when the date is
/// out of the years 1 to 9999.
pub(super) fn timestamp(text: &mut Vec<u8>, seconds: f64, epoch: i64, time: bool) -> Option<()> {
    let seconds = seconds.floor();
    let first = (FIRST_DAY - epoch) * SECONDS_PER_DAY;
    let end = (LAST_DAY + 1 - epoch) * SECONDS_PER_DAY;
    // Checked as a float, so the cast below is exact: whole seconds, well inside an i64.
    if !(first as f64..end as f64).contains(&seconds) {
        return None;
    }
    let seconds = seconds as i64;
    let (y, m, d) = civil(seconds.div_euclid(SECONDS_PER_DAY) + epoch);
    write!(text, "{y:04}-{m:02}-{d:02}").ok()?;
    if time {
        let s = seconds.rem_euclid(SECONDS_PER_DAY);
        write!(text, " {:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60).ok()?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::{civil, days_from_civil};

    /// Known days, each format's epoch among them, both ways; and every day of four
    /// centuries round-trips.
    #[test]
    fn days_and_dates_agree() {
        for (days, date) in [
            (0, (1970, 1, 1)),
            (-3653, (1960, 1, 1)),
            (-25_569, (1899, 12, 30)),
            (-24_107, (1904, 1, 1)),
            (-141_428, (1582, 10, 14)),
            (11_016, (2000, 2, 29)),
            (-719_468, (0, 3, 1)),
        ] {
            assert_eq!(civil(days), date, "{days}");
            assert_eq!(days_from_civil(date.0, date.1, date.2), days, "{date:?}");
        }
        for days in -200_000..=200_000 {
            let (y, m, d) = civil(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        let _ = civil(i64::MAX);
        let _ = civil(i64::MIN);
    }
}
