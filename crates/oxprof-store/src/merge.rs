//! A time range of profiles merged into one: the stored profiles are read, decoded and merged
//! on a few threads at once, a batch at a time, so memory holds one batch per thread rather
//! than the whole range.

use oxprof_profile::Profile;

use crate::query::Query;
use crate::store::{Row, Store};
use crate::Error;

/// Profiles merged per step: enough that merging costs little per profile, few enough that a
/// batch of decoded profiles stays small.
const BATCH: usize = 64;

/// A merged range.
///
/// ```
/// let m = oxprof_store::Merged { profile: Default::default(), count: 0 };
/// assert_eq!(m.count, 0);
/// ```
#[derive(Debug, Clone)]
pub struct Merged {
    /// The merged profile, dated from the first profile's start to the last one's end.
    pub profile: Profile,
    /// How many profiles went into it.
    pub count: usize,
}

impl Store {
    /// Merges the profiles `query` selects that start in `[from_ns, until_ns)` into one, or
    /// `None` when there are none. Profiles whose sample types all agree are merged whole (the
    /// type asked for becomes the default sample type); otherwise each is cut to the sample type
    /// the query names first, and a query naming only `__name__` fails.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let store = oxprof_store::Store::open(dir.path())?;
    /// assert!(store.merge(&"memory{}".parse()?, 0, i64::MAX)?.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn merge(
        &self,
        query: &Query,
        from_ns: i64,
        until_ns: i64,
    ) -> Result<Option<Merged>, Error> {
        let (rows, shapes) = self.rows(query, from_ns, until_ns)?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let whole = rows.iter().all(|r| r.shape == first.shape);
        if !whole && query.profile_type.sample.is_none() {
            return Err(Error::BadInput(format!(
                "{} profiles of different sample types were found: give a full profile type, \
                 such as {}",
                query.profile_type.name,
                self.profile_types(&query.selector)
                    .into_iter()
                    .find(|t| t.starts_with(&format!("{}:", query.profile_type.name)))
                    .unwrap_or_default()
            )));
        }
        let cut: Vec<Option<usize>> = rows
            .iter()
            .map(|r| {
                (!whole)
                    .then(|| shapes[&r.shape].index_of(&query.profile_type))
                    .flatten()
            })
            .collect();
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 4)
            .min(rows.len().div_ceil(BATCH));
        let per_thread = rows.len().div_ceil(threads);
        let parts: Vec<Result<Profile, Error>> = std::thread::scope(|scope| {
            let handles: Vec<_> = rows
                .chunks(per_thread)
                .zip(cut.chunks(per_thread))
                .map(|(rows, cut)| scope.spawn(move || self.merge_part(rows, cut)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(Error::Storage("a merge thread failed".into())))
                })
                .collect()
        });
        let parts = parts.into_iter().collect::<Result<Vec<_>, _>>()?;
        let mut profile = merge_all(parts)?;
        let start = first.start_ns;
        let end = rows.iter().map(|r| r.end_ns).max().unwrap_or(start);
        profile.time_nanos = start;
        profile.duration_nanos = end - start;
        if let (true, Some(([ty, _], _))) = (whole, &query.profile_type.sample) {
            profile.default_sample_type = ty.clone();
        }
        Ok(Some(Merged {
            profile,
            count: rows.len(),
        }))
    }

    /// Reads, decodes, cuts and merges some rows on a connection of its own.
    fn merge_part(&self, rows: &[Row], cut: &[Option<usize>]) -> Result<Profile, Error> {
        let connection = Store::connect(self.path())?;
        let mut statement = connection.prepare("SELECT data FROM blobs WHERE id = ?1")?;
        let mut merged: Option<Profile> = None;
        let mut batch = Vec::with_capacity(BATCH + 1);
        for (row, cut) in rows.iter().zip(cut) {
            let data: Vec<u8> = statement.query_row([row.id], |r| r.get(0))?;
            let mut profile = Profile::decode(&data)
                .map_err(|e| Error::Storage(format!("stored profile {}: {e}", row.id)))?;
            if let Some(i) = *cut {
                keep_sample_type(&mut profile, i);
            }
            batch.push(profile);
            if batch.len() == BATCH {
                batch.extend(merged.take());
                merged = Some(merge_all(std::mem::take(&mut batch))?);
            }
        }
        batch.extend(merged);
        merge_all(batch)
    }
}

fn merge_all(profiles: Vec<Profile>) -> Result<Profile, Error> {
    if profiles.len() == 1 {
        return Ok(profiles.into_iter().next().expect("one profile"));
    }
    Profile::merge(profiles).map_err(|e| Error::Storage(format!("merging: {e}")))
}

/// Cuts a profile to its sample type `i`.
fn keep_sample_type(profile: &mut Profile, i: usize) {
    profile.sample_type = vec![profile.sample_type[i].clone()];
    profile.default_sample_type.clear();
    for sample in &mut profile.sample {
        sample.value = vec![sample.value.get(i).copied().unwrap_or(0)];
    }
}
