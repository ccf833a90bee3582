//! Units of measurement as pprof knows them: bytes (B…PB, 1024 apart), time (ns…hrs) and
//! Google Compute Units, with the aliases pprof accepts (`kb`, `kbyte`, `kilobyte`,
//! `millisecond`...). Used to convert numeric tag filter bounds and to bring profiles with
//! different units (milliseconds and nanoseconds, say) to one before merging them.

use crate::{Error, Profile, Result, ValueType};

/// One unit: the name pprof prints, the names it accepts, and its size in the family's base unit.
struct Unit {
    canonical: &'static str,
    aliases: &'static [&'static str],
    factor: f64,
}

/// A family of interconvertible units and the unit to fall back on.
struct Family {
    units: &'static [Unit],
    default: (&'static str, f64),
}

const fn unit(canonical: &'static str, aliases: &'static [&'static str], factor: f64) -> Unit {
    Unit {
        canonical,
        aliases,
        factor,
    }
}

const KIB: f64 = 1024.0;

static FAMILIES: [Family; 3] = [
    Family {
        units: &[
            unit("B", &["b", "byte"], 1.0),
            unit("kB", &["kb", "kbyte", "kilobyte"], KIB),
            unit("MB", &["mb", "mbyte", "megabyte"], KIB * KIB),
            unit("GB", &["gb", "gbyte", "gigabyte"], KIB * KIB * KIB),
            unit("TB", &["tb", "tbyte", "terabyte"], KIB * KIB * KIB * KIB),
            unit(
                "PB",
                &["pb", "pbyte", "petabyte"],
                KIB * KIB * KIB * KIB * KIB,
            ),
        ],
        default: ("B", 1.0),
    },
    Family {
        units: &[
            unit("ns", &["ns", "nanosecond"], 1.0),
            unit("us", &["μs", "us", "microsecond"], 1e3),
            unit("ms", &["ms", "millisecond"], 1e6),
            unit("s", &["s", "sec", "second"], 1e9),
            unit("hrs", &["hour", "hr"], 3600e9),
        ],
        default: ("s", 1e9),
    },
    Family {
        units: &[
            unit("n*GCU", &["nanogcu"], 1e-9),
            unit("u*GCU", &["microgcu"], 1e-6),
            unit("m*GCU", &["milligcu"], 1e-3),
            unit("GCU", &["gcu"], 1.0),
            unit("k*GCU", &["kilogcu"], 1e3),
            unit("M*GCU", &["megagcu"], 1e6),
            unit("G*GCU", &["gigagcu"], 1e9),
            unit("T*GCU", &["teragcu"], 1e12),
            unit("P*GCU", &["petagcu"], 1e15),
        ],
        default: ("GCU", 1.0),
    },
];

impl Family {
    /// The unit a name denotes, ignoring case and a plural `s` (on names longer than two bytes,
    /// as pprof does; so `μs`, three bytes, is never recognised, in pprof either).
    fn sniff(&self, name: &str) -> Option<&Unit> {
        let lower = name.to_lowercase();
        let name = if lower.len() > 2 {
            lower.strip_suffix('s').unwrap_or(&lower)
        } else {
            &lower
        };
        self.units.iter().find(|u| u.aliases.contains(&name))
    }

    /// The largest unit in which the value is at least 1.
    fn auto_scale(&self, base_value: f64) -> Option<(f64, &'static str)> {
        let mut best: Option<&Unit> = None;
        for u in self.units {
            if u.factor >= best.map_or(0.0, |b| b.factor) && base_value / u.factor >= 1.0 {
                best = Some(u);
            }
        }
        best.map(|u| (base_value / u.factor, u.canonical))
    }

    fn convert(&self, value: i64, from: &str, to: &str) -> Option<(f64, String)> {
        let from = self.sniff(from)?;
        let base_value = value as f64 * from.factor;
        let (default, default_factor) = self.default;
        if to == "minimum" || to == "auto" {
            let (v, u) = self
                .auto_scale(base_value)
                .unwrap_or((base_value / default_factor, default));
            return Some((v, u.to_string()));
        }
        Some(match self.sniff(to) {
            Some(to) => (base_value / to.factor, to.canonical.to_string()),
            None => (base_value / default_factor, default.to_string()),
        })
    }
}

/// Converts `value` from unit `from` to unit `to` (pprof's `measurement.Scale`), returning the
/// converted value and the canonical name of the unit reached. `to` may be `auto` or `minimum`
/// for the largest unit keeping the value at least 1. When `from` is no known unit the value is
/// returned unchanged, with `to` as its unit, or with no unit when `to` is a unit not worth
/// printing (`count`, `sample`, `unit`, `minimum`, `auto`).
///
/// ```
/// use oxprof_profile::units::scale;
/// assert_eq!(scale(2048, "bytes", "kb"), (2.0, "kB".to_string()));
/// assert_eq!(scale(1500, "ms", "auto"), (1.5, "s".to_string()));
/// assert_eq!(scale(7, "count", "count"), (7.0, String::new()));
/// assert_eq!(scale(-3, "kb", "b"), (-3072.0, "B".to_string()));
/// ```
pub fn scale(value: i64, from: &str, to: &str) -> (f64, String) {
    if value < 0 {
        if let Some(positive) = value.checked_neg() {
            let (v, u) = scale(positive, from, to);
            return (-v, u);
        }
    }
    if let Some(converted) = FAMILIES.iter().find_map(|f| f.convert(value, from, to)) {
        return converted;
    }
    match to {
        "count" | "sample" | "unit" | "minimum" | "auto" => (value as f64, String::new()),
        _ => (value as f64, to.to_string()),
    }
}

/// Whether two value types measure the same thing, up to a plural `s` in the type and the unit
/// within one family (pprof's `compatibleValueTypes`).
fn compatible_value_types(a: &ValueType, b: &ValueType) -> bool {
    let trim = |t: &str| t.strip_suffix('s').unwrap_or(t).to_string();
    if trim(&a.ty) != trim(&b.ty) {
        return false;
    }
    a.unit == b.unit
        || FAMILIES
            .iter()
            .any(|f| f.sniff(&a.unit).is_some() && f.sniff(&b.unit).is_some())
}

/// The finest of a set of compatible value types; `None` for fewer than two.
fn finest_value_type<'a>(types: &[&'a ValueType]) -> Result<Option<&'a ValueType>> {
    if types.len() <= 1 {
        return Ok(None);
    }
    let mut finest = types[0];
    for &t in &types[1..] {
        if !compatible_value_types(finest, t) {
            return Err(Error::incompatible(format!(
                "value types {}/{} and {}/{} differ",
                finest.ty, finest.unit, t.ty, t.unit
            )));
        }
        if scale(1, &t.unit, &finest.unit).0 < 1.0 {
            finest = t;
        }
    }
    Ok(Some(finest))
}

impl Profile {
    /// Converts profiles to common units, the finest each of them uses, so that they can be
    /// merged (pprof's `measurement.ScaleProfiles`): the period and every sample type are
    /// converted, sample values rescaled and periods truncated to whole units.
    ///
    /// ```
    /// use oxprof_profile::{Profile, Sample, ValueType};
    /// let with = |unit: &str, v: i64| Profile {
    ///     sample_type: vec![ValueType::new("wall", unit)],
    ///     period_type: Some(ValueType::new("wall", unit)),
    ///     sample: vec![Sample { location_id: vec![], value: vec![v], label: vec![] }],
    ///     ..Profile::default()
    /// };
    /// let mut ps = vec![with("milliseconds", 2), with("nanoseconds", 5)];
    /// Profile::scale_to_common_units(&mut ps).unwrap();
    /// assert_eq!(ps[0].sample_type[0].unit, "nanoseconds");
    /// assert_eq!(ps[0].sample[0].value, vec![2_000_000]);
    /// ```
    pub fn scale_to_common_units(profiles: &mut [Profile]) -> Result<()> {
        let Some(first) = profiles.first() else {
            return Ok(());
        };
        let empty = ValueType::default();
        let periods: Vec<&ValueType> = profiles
            .iter()
            .map(|p| p.period_type.as_ref().unwrap_or(&empty))
            .collect();
        let period_type = finest_value_type(&periods)?.cloned();
        let n = first.sample_type.len();
        if let Some(p) = profiles.iter().find(|p| p.sample_type.len() != n) {
            return Err(Error::incompatible(format!(
                "inconsistent sample type counts: {n} != {}",
                p.sample_type.len()
            )));
        }
        let mut sample_types = Vec::with_capacity(n);
        for i in 0..n {
            let types: Vec<&ValueType> = profiles.iter().map(|p| &p.sample_type[i]).collect();
            sample_types.push(finest_value_type(&types)?.cloned());
        }

        for p in profiles.iter_mut() {
            if let (Some(own), Some(common)) = (p.period_type.as_mut(), period_type.as_ref()) {
                p.period = scale(p.period, &own.unit, &common.unit).0 as i64;
                own.unit = common.unit.clone();
            }
            let mut ratios = vec![1.0; n];
            for (i, common) in sample_types.iter().enumerate() {
                if let Some(common) = common {
                    ratios[i] = scale(1, &p.sample_type[i].unit, &common.unit).0;
                    p.sample_type[i].unit = common.unit.clone();
                }
            }
            p.scale_n(&ratios)?;
        }
        Ok(())
    }

    /// Converts profiles to common units and merges them: what pprof does with several sources.
    ///
    /// ```
    /// use oxprof_profile::{Profile, Sample, ValueType};
    /// let with = |unit: &str, v: i64| Profile {
    ///     sample_type: vec![ValueType::new("delay", unit)],
    ///     sample: vec![Sample { location_id: vec![], value: vec![v], label: vec![] }],
    ///     ..Profile::default()
    /// };
    /// let p = Profile::combine(vec![with("microseconds", 1), with("nanoseconds", 5)]).unwrap();
    /// assert_eq!(p.sample[0].value, vec![1005]);
    /// ```
    pub fn combine(mut profiles: Vec<Profile>) -> Result<Profile> {
        Profile::scale_to_common_units(&mut profiles)?;
        Profile::merge(profiles)
    }
}

#[cfg(test)]
mod tests {
    use super::scale;

    #[test]
    fn scales_like_pprof() {
        assert_eq!(scale(1, "kb", "kb"), (1.0, "kB".into()));
        assert_eq!(scale(3, "KiloBytes", "b"), (3072.0, "B".into()));
        assert_eq!(scale(90, "minute", "s"), (90.0, "s".into()));
        assert_eq!(scale(5, "bytes", "pid"), (5.0, "B".into()));
        assert_eq!(scale(5, "pid", ""), (5.0, String::new()));
        assert_eq!(scale(2_000, "ns", "minimum"), (2.0, "us".into()));
        assert_eq!(scale(0, "ns", "auto"), (0.0, "s".into()));
        assert_eq!(scale(7_200_000_000_000, "ns", "hr"), (2.0, "hrs".into()));
        assert_eq!(scale(i64::MIN, "x", "x"), (i64::MIN as f64, "x".into()));
        // "μs" is three bytes, so its plural-stripping turns it into "μ": unknown, as in pprof.
        assert_eq!(scale(1, "μs", "ns"), (1.0, "ns".into()));
    }
}
