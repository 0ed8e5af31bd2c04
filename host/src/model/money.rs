//! Money as integer cents. Every cost in Switchyard is a `Cents`; nothing about money is ever a
//! floating-point number, so totals add up exactly and the same inputs give the same decision.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};

use serde::{Deserialize, Serialize};

/// An amount of money in US cents. Negative amounts appear as credits (a scorer that rewards a
/// plan) and as differences between plans.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    pub const ZERO: Cents = Cents(0);

    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }

    /// Scales by a number of basis points (1/100 of a percent), rounding half away from zero.
    /// A fuel surcharge of 12.5% is `scale_bp(1250)`.
    pub fn scale_bp(self, basis_points: i64) -> Cents {
        Cents(div_round(self.0 * basis_points, 10_000))
    }

    /// Scales by `numerator / denominator`, rounding half away from zero.
    pub fn scale(self, numerator: i64, denominator: i64) -> Cents {
        Cents(div_round(self.0 * numerator, denominator))
    }
}

/// Integer division rounding half away from zero; `denominator` must be positive.
fn div_round(value: i64, denominator: i64) -> i64 {
    let half = denominator / 2;
    if value >= 0 {
        (value + half) / denominator
    } else {
        (value - half) / denominator
    }
}

impl fmt::Display for Cents {
    /// Dollars with two decimals, the sign first: `$12.05`, `-$0.40`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}${}.{:02}", abs / 100, abs % 100)
    }
}

impl Add for Cents {
    type Output = Cents;
    fn add(self, rhs: Cents) -> Cents {
        Cents(self.0 + rhs.0)
    }
}

impl AddAssign for Cents {
    fn add_assign(&mut self, rhs: Cents) {
        self.0 += rhs.0;
    }
}

impl Sub for Cents {
    type Output = Cents;
    fn sub(self, rhs: Cents) -> Cents {
        Cents(self.0 - rhs.0)
    }
}

impl SubAssign for Cents {
    fn sub_assign(&mut self, rhs: Cents) {
        self.0 -= rhs.0;
    }
}

impl Neg for Cents {
    type Output = Cents;
    fn neg(self) -> Cents {
        Cents(-self.0)
    }
}

impl Mul<i64> for Cents {
    type Output = Cents;
    fn mul(self, rhs: i64) -> Cents {
        Cents(self.0 * rhs)
    }
}

impl Sum for Cents {
    fn sum<I: Iterator<Item = Cents>>(iter: I) -> Cents {
        iter.fold(Cents::ZERO, Add::add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_dollars_and_sign() {
        assert_eq!(Cents(1205).to_string(), "$12.05");
        assert_eq!(Cents(-40).to_string(), "-$0.40");
        assert_eq!(Cents(0).to_string(), "$0.00");
    }

    #[test]
    fn basis_points_round_half_away_from_zero() {
        // 12.5% of $10.01 is 125.125 cents.
        assert_eq!(Cents(1001).scale_bp(1250), Cents(125));
        // 50% of 5 cents is 2.5 cents.
        assert_eq!(Cents(5).scale_bp(5000), Cents(3));
        assert_eq!(Cents(-5).scale_bp(5000), Cents(-3));
    }
}
