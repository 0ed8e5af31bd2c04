//! Shipment contents as numbers. A content says how many units of each order line a shipment
//! carries; with `L` lines it is a mixed-radix number whose digit for line `l` runs from 0 to the
//! line's quantity (when quantities may be split) or is 0 or 1 for "none" or "all of it" (when
//! they may not). Every content of an order, from empty to the whole order, is one state
//! `0..count`, so the search can keep tables indexed by content.

use super::prepare::Line;

/// The contents of one order.
pub(crate) struct ContentSpace {
    /// Per line: the number of digit values.
    radix: Vec<u32>,
    /// Per line: the state value of one digit step.
    stride: Vec<usize>,
    /// Per line: units in one digit step (1, or the whole quantity when lines are not split).
    unit: Vec<u32>,
    pub count: usize,
    /// Whether every line is shipped whole, which makes every state a bit mask of lines.
    whole_lines: bool,
    /// `digits[state * lines + line]`: looked up, not divided out, because the search asks
    /// for digits in its innermost loops.
    digits: Vec<u32>,
    /// The first line with units in each state (`lines` for the empty state).
    first: Vec<u8>,
    pub weight_g: Vec<u64>,
    pub volume_mm3: Vec<u64>,
    pub units: Vec<u32>,
}

impl ContentSpace {
    /// The space for an order's lines, or `None` if it would have more than `max_states` states
    /// or need more than `max_pairs` steps to visit every content inside every other.
    pub fn new(
        lines: &[Line],
        split_quantities: bool,
        max_states: usize,
        max_pairs: u64,
    ) -> Option<ContentSpace> {
        let mut radix = Vec::with_capacity(lines.len());
        let mut unit = Vec::with_capacity(lines.len());
        let mut count: usize = 1;
        let mut pairs: u64 = 1;
        for line in lines {
            let (digits, step) = if split_quantities {
                (line.quantity + 1, 1)
            } else {
                (2, line.quantity)
            };
            count = count
                .checked_mul(digits as usize)
                .filter(|&c| c <= max_states)?;
            let nested = digits as u64 * (digits as u64 + 1) / 2;
            pairs = pairs.checked_mul(nested).filter(|&p| p <= max_pairs)?;
            radix.push(digits);
            unit.push(step);
        }
        let mut stride = Vec::with_capacity(lines.len());
        let mut step = 1usize;
        for &digits in &radix {
            stride.push(step);
            step *= digits as usize;
        }

        // Digits, weight, volume and units of every content, each built from the one before
        // (counting up like an odometer) or from a smaller one.
        let lines_count = lines.len();
        let mut digits = vec![0u32; count * lines_count];
        let mut first = vec![lines_count as u8; count];
        let (mut weight_g, mut volume_mm3, mut units) =
            (vec![0u64; count], vec![0u64; count], vec![0u32; count]);
        for state in 1..count {
            let (before, now) = digits.split_at_mut(state * lines_count);
            let now = &mut now[..lines_count];
            now.copy_from_slice(&before[(state - 1) * lines_count..]);
            for (line, digit) in now.iter_mut().enumerate() {
                *digit += 1;
                if *digit < radix[line] {
                    break;
                }
                *digit = 0;
            }
            let line = now.iter().position(|&digit| digit > 0)?;
            first[state] = line as u8;
            let smaller = state - stride[line];
            let added = unit[line] as u64;
            weight_g[state] = weight_g[smaller] + added * lines[line].unit_weight_g;
            volume_mm3[state] = volume_mm3[smaller] + added * lines[line].unit_volume_mm3;
            units[state] = units[smaller] + unit[line];
        }
        let whole_lines = radix.iter().all(|&digits| digits == 2);
        Some(ContentSpace {
            radix,
            stride,
            unit,
            count,
            whole_lines,
            digits,
            first,
            weight_g,
            volume_mm3,
            units,
        })
    }

    pub fn lines(&self) -> usize {
        self.radix.len()
    }

    /// The whole order.
    pub fn full(&self) -> usize {
        self.count - 1
    }

    pub fn digit(&self, state: usize, line: usize) -> u32 {
        self.digits[state * self.lines() + line]
    }

    /// Units of a line in a content.
    pub fn quantity(&self, state: usize, line: usize) -> u32 {
        self.digit(state, line) * self.unit[line]
    }

    /// The largest content a node can ship, given the units of each line it has.
    pub fn capped(&self, available: &[u32]) -> usize {
        (0..self.lines())
            .map(|line| self.stride[line] * (available[line] / self.unit[line]) as usize)
            .sum()
    }

    /// The first line with units in a content.
    pub fn first_line(&self, state: usize) -> Option<usize> {
        let line = self.first[state] as usize;
        (line < self.lines()).then_some(line)
    }

    /// Calls `visit` with every content inside `state` (digit by digit no larger), from `state`
    /// itself down to 0. `digits` is scratch space.
    pub fn for_each_inside(
        &self,
        state: usize,
        digits: &mut Vec<u32>,
        mut visit: impl FnMut(usize) -> Walk,
    ) {
        // With whole lines, the contents inside a mask are its sub-masks.
        if self.whole_lines {
            let mut inner = state;
            loop {
                if visit(inner) == Walk::Stop || inner == 0 {
                    return;
                }
                inner = (inner - 1) & state;
            }
        }

        digits.clear();
        digits.extend((0..self.lines()).map(|line| self.digit(state, line)));
        let mut current = state;
        loop {
            if visit(current) == Walk::Stop {
                return;
            }
            // Count down like an odometer, each digit wrapping to its value in `state`.
            let mut line = 0;
            loop {
                if line == self.lines() {
                    return;
                }
                if digits[line] > 0 {
                    digits[line] -= 1;
                    current -= self.stride[line];
                    break;
                }
                let top = self.digit(state, line);
                digits[line] = top;
                current += top as usize * self.stride[line];
                line += 1;
            }
        }
    }
}

/// Whether to keep walking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Walk {
    Continue,
    Stop,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(quantities: &[u32]) -> Vec<Line> {
        quantities
            .iter()
            .enumerate()
            .map(|(at, &quantity)| Line {
                sku: at,
                quantity,
                unit_weight_g: 100 * (at as u64 + 1),
                unit_volume_mm3: 1000,
            })
            .collect()
    }

    #[test]
    fn whole_lines_are_bits() {
        let space = ContentSpace::new(&lines(&[3, 1, 2]), false, 1 << 20, 1 << 40).unwrap();
        assert_eq!(space.count, 8);
        // State 0b101 holds all of lines 0 and 2: 3 x 100 g + 2 x 300 g.
        assert_eq!(space.weight_g[0b101], 900);
        assert_eq!(space.units[0b101], 5);
        assert_eq!(space.quantity(0b101, 2), 2);
    }

    #[test]
    fn whole_line_walk_visits_every_sub_mask_once() {
        let space = ContentSpace::new(&lines(&[1, 4, 2, 7]), false, 1 << 20, 1 << 40).unwrap();
        let mut seen = Vec::new();
        space.for_each_inside(0b1011, &mut Vec::new(), |inner| {
            seen.push(inner);
            Walk::Continue
        });
        assert_eq!(
            seen,
            [0b1011, 0b1010, 0b1001, 0b1000, 0b0011, 0b0010, 0b0001, 0]
        );
    }

    #[test]
    fn inside_walk_visits_every_smaller_content_once() {
        let space = ContentSpace::new(&lines(&[2, 1, 3]), true, 1 << 20, 1 << 40).unwrap();
        let state = space.capped(&[1, 1, 2]);
        let mut seen = Vec::new();
        space.for_each_inside(state, &mut Vec::new(), |inner| {
            seen.push(inner);
            Walk::Continue
        });
        assert_eq!(seen.len(), 2 * 2 * 3);
        assert_eq!(seen[0], state);
        assert_eq!(*seen.last().unwrap(), 0);
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len());
        for inner in seen {
            for line in 0..3 {
                assert!(space.digit(inner, line) <= space.digit(state, line));
            }
        }
    }

    #[test]
    fn too_many_states_is_refused() {
        assert!(ContentSpace::new(&lines(&[9, 9, 9]), true, 999, 1 << 40).is_none());
        assert!(ContentSpace::new(&lines(&[9, 9, 9]), true, 1000, 1 << 40).is_some());
    }
}
