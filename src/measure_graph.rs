//! Which measures each derived measure reads (`calculate cin_at_point / cp_at_point`): the one
//! graph behind the checker's loop diagnostic (SB406), the measures a run computes besides the
//! ones asked for, and the order compile builds cells in (each measure after the ones it reads).

use crate::ir::{Definition, Measure};

/// The measures by index into the project's list, each with the indices of those it reads
/// (in any of its versions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeasureGraph {
    reads: Vec<Vec<usize>>,
}

impl MeasureGraph {
    /// The graph of `measures`; a name that is no measure is left out (the checker reports
    /// it where it is written).
    pub fn of(measures: &[Measure]) -> MeasureGraph {
        let reads = measures
            .iter()
            .map(|m| {
                let mut out: Vec<usize> = Vec::new();
                for version in m.every_version() {
                    let Definition::Derived { expr } = &version.definition else { continue };
                    for name in expr.measure_refs() {
                        if let Some(j) = measures.iter().position(|x| x.name == name) {
                            if !out.contains(&j) {
                                out.push(j);
                            }
                        }
                    }
                }
                out
            })
            .collect();
        MeasureGraph { reads }
    }

    /// The measures `measure` reads directly, in the order they are written.
    pub fn reads(&self, measure: usize) -> &[usize] {
        &self.reads[measure]
    }

    /// `chosen` and every measure they read, directly or through others, in project order.
    pub fn with_dependencies(&self, chosen: &[usize]) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        let mut stack: Vec<usize> = chosen.to_vec();
        while let Some(i) = stack.pop() {
            if !out.contains(&i) {
                out.push(i);
                stack.extend(&self.reads[i]);
            }
        }
        out.sort_unstable();
        out
    }

    /// `measures` ordered so that each comes after every measure it reads: by how many steps
    /// of reading lie below it (a measure read from sources has none), then in project order.
    /// A measure in a loop counts only the steps before the loop closes.
    pub fn dependencies_first(&self, measures: &[usize]) -> Vec<usize> {
        let mut ordered: Vec<(usize, usize)> = measures.iter().map(|&i| (self.depth(i, &mut Vec::new()), i)).collect();
        ordered.sort_unstable();
        ordered.into_iter().map(|(_, i)| i).collect()
    }

    fn depth(&self, i: usize, seen: &mut Vec<usize>) -> usize {
        if seen.contains(&i) {
            return 0;
        }
        seen.push(i);
        let d = self.reads[i].iter().map(|&j| self.depth(j, seen) + 1).max().unwrap_or(0);
        seen.pop();
        d
    }

    /// Every loop of measures reading each other, once each: the measures in it from the
    /// first in project order, each reading the next and the last reading the first.
    pub fn cycles(&self) -> Vec<Vec<usize>> {
        let mut found: Vec<Vec<usize>> = Vec::new();
        let mut keys: Vec<Vec<usize>> = Vec::new();
        for start in 0..self.reads.len() {
            let mut path = vec![start];
            if let Some(cycle) = self.cycle_back_to(start, &mut path) {
                let mut key = cycle.clone();
                key.sort_unstable();
                if !keys.contains(&key) {
                    keys.push(key);
                    found.push(cycle);
                }
            }
        }
        found
    }

    /// A path from the end of `path` back to `start`, as the measures on it.
    fn cycle_back_to(&self, start: usize, path: &mut Vec<usize>) -> Option<Vec<usize>> {
        let current = *path.last()?;
        for &next in &self.reads[current] {
            if next == start {
                return Some(path.clone());
            }
            if path.contains(&next) {
                continue;
            }
            path.push(next);
            if let Some(c) = self.cycle_back_to(start, path) {
                return Some(c);
            }
            path.pop();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::MeasureGraph;

    /// Each measure's reads, by index.
    type Reads<'a> = &'a [&'a [usize]];

    fn graph(reads: Reads<'_>) -> MeasureGraph {
        MeasureGraph { reads: reads.iter().map(|r| r.to_vec()).collect() }
    }

    #[test]
    fn dependencies_come_with_the_measures_that_read_them() {
        // 0 and 1 from sources; 2 = f(0, 1); 3 = f(2); 4 = f(3, 0).
        let g = graph(&[&[], &[], &[0, 1], &[2], &[3, 0]]);
        let cases: &[(&[usize], &[usize])] = &[
            (&[], &[]),
            (&[0], &[0]),
            (&[2], &[0, 1, 2]),
            (&[4], &[0, 1, 2, 3, 4]),
            (&[3, 1], &[0, 1, 2, 3]),
            (&[1, 0], &[0, 1]),
        ];
        for (chosen, expected) in cases {
            assert_eq!(g.with_dependencies(chosen), *expected, "{chosen:?}");
        }
    }

    #[test]
    fn each_measure_follows_the_ones_it_reads() {
        // 0 = f(3); 1 from a source; 2 = f(0, 1); 3 from a source; 4 = f(2).
        let g = graph(&[&[3], &[], &[0, 1], &[], &[2]]);
        let cases: &[(&[usize], &[usize])] = &[
            (&[0, 1, 2, 3, 4], &[1, 3, 0, 2, 4]),
            (&[4, 3, 2, 1, 0], &[1, 3, 0, 2, 4]),
            (&[2, 0], &[0, 2]),
            (&[1, 3], &[1, 3]),
        ];
        for (measures, expected) in cases {
            let ordered = g.dependencies_first(measures);
            assert_eq!(ordered, *expected, "{measures:?}");
            for (k, &i) in ordered.iter().enumerate() {
                for j in g.reads(i) {
                    if let Some(at) = ordered.iter().position(|x| x == j) {
                        assert!(at < k, "{i} before {j} in {ordered:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn loops_are_found_once_each_from_their_first_measure() {
        let cases: &[(Reads<'_>, Reads<'_>)] = &[
            (&[&[], &[0], &[1]], &[]),
            // Diamond: 3 reads 1 and 2, both read 0. No loop.
            (&[&[], &[0], &[0], &[1, 2]], &[]),
            (&[&[0]], &[&[0]]),
            (&[&[1], &[0]], &[&[0, 1]]),
            (&[&[], &[2], &[3], &[1]], &[&[1, 2, 3]]),
            // Two loops, and a measure reading into one of them.
            (&[&[1], &[0], &[3], &[2], &[0]], &[&[0, 1], &[2, 3]]),
        ];
        for (reads, expected) in cases {
            let found = graph(reads).cycles();
            let expected: Vec<Vec<usize>> = expected.iter().map(|c| c.to_vec()).collect();
            assert_eq!(found, expected, "{reads:?}");
        }
    }
}
