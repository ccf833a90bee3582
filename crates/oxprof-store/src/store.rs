//! The database: its schema, inserts, the in-memory copy of the series and their sample types,
//! and the index queries (label names and values, profile types, the timeline, retention).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use oxprof_profile::ValueType;
use oxprof_push::labels::{NAME, SERVICE_NAME};
use oxprof_push::proto::LabelPair;
use rusqlite::{params, Connection, OpenFlags};

use crate::ingest::Item;
use crate::query::{ProfileType, Query, Selector};
use crate::Error;

/// The database's file name in the store's directory.
const DB_FILE: &str = "oxprof.db";

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS series (id INTEGER PRIMARY KEY, labels TEXT NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS shapes (
        id INTEGER PRIMARY KEY,
        sample_types TEXT NOT NULL,
        period_type TEXT NOT NULL,
        UNIQUE (sample_types, period_type));
    CREATE TABLE IF NOT EXISTS series_shapes (
        series INTEGER NOT NULL, shape INTEGER NOT NULL, PRIMARY KEY (series, shape));
    CREATE TABLE IF NOT EXISTS profiles (
        id INTEGER PRIMARY KEY,
        series INTEGER NOT NULL,
        shape INTEGER NOT NULL,
        start_ns INTEGER NOT NULL,
        end_ns INTEGER NOT NULL,
        totals TEXT NOT NULL,
        uid TEXT);
    CREATE UNIQUE INDEX IF NOT EXISTS profiles_by_uid ON profiles (uid) WHERE uid IS NOT NULL;
    CREATE INDEX IF NOT EXISTS profiles_by_series_time ON profiles (series, start_ns);
    CREATE INDEX IF NOT EXISTS profiles_by_end ON profiles (end_ns);
    CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
";

/// The sample types and period type profiles share: what decides whether they can be merged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Shape {
    pub sample_types: Vec<ValueType>,
    pub period_type: Option<ValueType>,
}

impl Shape {
    fn of(profile: &oxprof_profile::Profile) -> Shape {
        Shape {
            sample_types: profile.sample_type.clone(),
            period_type: profile.period_type.clone(),
        }
    }

    fn encode(&self) -> (String, String) {
        let types: Vec<String> = self
            .sample_types
            .iter()
            .map(|t| format!("{}:{}", t.ty, t.unit))
            .collect();
        let period = self
            .period_type
            .as_ref()
            .map_or(String::new(), |t| format!("{}:{}", t.ty, t.unit));
        (types.join(","), period)
    }

    fn decode(types: &str, period: &str) -> Shape {
        let value_type = |text: &str| {
            let (ty, unit) = text.split_once(':').unwrap_or((text, ""));
            ValueType::new(ty, unit)
        };
        Shape {
            sample_types: types
                .split(',')
                .filter(|t| !t.is_empty())
                .map(value_type)
                .collect(),
            period_type: (!period.is_empty()).then(|| value_type(period)),
        }
    }

    /// Where `ty` is among the sample types, when the period type matches too; for a type
    /// without a sample type, the last sample type (the one pprof shows by default).
    pub(crate) fn index_of(&self, ty: &ProfileType) -> Option<usize> {
        let Some(([sample, unit], [period, period_unit])) = &ty.sample else {
            return self.sample_types.len().checked_sub(1);
        };
        let period_matches = self
            .period_type
            .as_ref()
            .map_or(period.is_empty() && period_unit.is_empty(), |p| {
                &p.ty == period && &p.unit == period_unit
            });
        if !period_matches {
            return None;
        }
        self.sample_types
            .iter()
            .position(|t| &t.ty == sample && &t.unit == unit)
    }

    /// Pyroscope's profile type ids for profiles of this shape named `name`.
    fn type_ids<'a>(&'a self, name: &'a str) -> impl Iterator<Item = String> + 'a {
        let period = self
            .period_type
            .as_ref()
            .map(|p| (p.ty.as_str(), p.unit.as_str()));
        self.sample_types.iter().map(move |t| {
            oxprof_push::profile_type_id(name, (t.ty.as_str(), t.unit.as_str()), period)
        })
    }
}

/// What is kept in memory: every series with its labels and shapes, every shape.
#[derive(Default)]
struct Index {
    series: HashMap<i64, Series>,
    series_ids: HashMap<String, i64>,
    shapes: HashMap<i64, Shape>,
    shape_ids: HashMap<Shape, i64>,
}

struct Series {
    labels: Vec<LabelPair>,
    shapes: BTreeSet<i64>,
}

impl Series {
    fn get(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.value.as_str())
    }
}

/// A profile's index row, as queries read it.
pub(crate) struct Row {
    pub id: i64,
    pub shape: i64,
    pub start_ns: i64,
    pub end_ns: i64,
    pub totals: Vec<i64>,
}

/// One point of a timeline: the total of the profiles starting in `[start_ns, start_ns+step)`.
///
/// ```
/// let p = oxprof_store::Point { start_ns: 0, total: 5, profiles: 1 };
/// assert_eq!(p.total, 5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// The bucket's start, nanoseconds since the epoch.
    pub start_ns: i64,
    /// The sum of the selected sample type over the bucket's profiles.
    pub total: i64,
    /// How many profiles the bucket holds.
    pub profiles: u64,
}

/// What the store holds.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let stats = oxprof_store::Store::open(dir.path())?.stats()?;
/// assert_eq!((stats.profiles, stats.series), (0, 0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Profiles stored.
    pub profiles: u64,
    /// Distinct label sets.
    pub series: u64,
    /// The database's size on disk, in bytes.
    pub bytes: u64,
}

/// A store of profiles in a directory. Cheap to share between threads: inserts take turns,
/// queries read in parallel with them.
pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    index: RwLock<Index>,
}

impl Store {
    /// Opens the store in `dir`, creating the directory and the database when missing.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let store = oxprof_store::Store::open(&dir.path().join("new"))?;
    /// assert!(store.services().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(dir: &Path) -> Result<Store, Error> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Storage(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join(DB_FILE);
        let writer = Connection::open(&path)?;
        // Freed pages go back to the file system bit by bit (retention frees many).
        writer.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
        writer.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a commit is on disk before the insert returns, so what was acknowledged
        // survives a power cut, not only a crash of the process.
        writer.pragma_update(None, "synchronous", "FULL")?;
        writer.busy_timeout(std::time::Duration::from_secs(10))?;
        writer.execute_batch(SCHEMA)?;
        let reader = Store::connect(&path)?;
        let store = Store {
            path,
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            index: RwLock::new(Index::default()),
        };
        store.load_index()?;
        Ok(store)
    }

    /// A read-only connection to the database.
    pub(crate) fn connect(path: &Path) -> Result<Connection, Error> {
        let c = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        c.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(c)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn load_index(&self) -> Result<(), Error> {
        let writer = self.lock_writer();
        let mut index = Index::default();
        let mut statement = writer.prepare("SELECT id, sample_types, period_type FROM shapes")?;
        let shapes = statement.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for shape in shapes {
            let (id, types, period) = shape?;
            let shape = Shape::decode(&types, &period);
            index.shape_ids.insert(shape.clone(), id);
            index.shapes.insert(id, shape);
        }
        let mut statement = writer.prepare("SELECT id, labels FROM series")?;
        let series =
            statement.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        for series in series {
            let (id, text) = series?;
            let labels = decode_labels(&text)
                .ok_or_else(|| Error::Storage(format!("store: series {id} has bad labels")))?;
            index.series_ids.insert(text, id);
            index.series.insert(
                id,
                Series {
                    labels,
                    shapes: BTreeSet::new(),
                },
            );
        }
        let mut statement = writer.prepare("SELECT series, shape FROM series_shapes")?;
        let pairs = statement.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for pair in pairs {
            let (series, shape) = pair?;
            if let Some(s) = index.series.get_mut(&series) {
                s.shapes.insert(shape);
            }
        }
        drop(statement);
        *self.index.write().unwrap_or_else(|e| e.into_inner()) = index;
        Ok(())
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `items` in one transaction: all of them, on disk, or none. An item whose id a
    /// stored profile already has is skipped, so a push retried after its answer was lost is
    /// stored once.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let store = oxprof_store::Store::open(dir.path())?;
    /// store.insert(&[])?;
    /// assert_eq!(store.stats()?.profiles, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn insert(&self, items: &[Item]) -> Result<(), Error> {
        if items.is_empty() {
            return Ok(());
        }
        let mut writer = self.lock_writer();
        let tx = writer.transaction()?;
        // The in-memory index learns of new series and shapes only once they are committed.
        let mut new_series: Vec<(i64, String, Vec<LabelPair>)> = Vec::new();
        let mut new_shapes: Vec<(i64, Shape)> = Vec::new();
        let mut new_pairs: Vec<(i64, i64)> = Vec::new();
        {
            let index = self.index.read().unwrap_or_else(|e| e.into_inner());
            for item in items {
                let text = encode_labels(&item.labels);
                let series = match index.series_ids.get(&text).copied().or_else(|| {
                    new_series
                        .iter()
                        .find(|(_, t, _)| *t == text)
                        .map(|(id, _, _)| *id)
                }) {
                    Some(id) => id,
                    None => {
                        tx.execute("INSERT INTO series (labels) VALUES (?1)", [&text])?;
                        let id = tx.last_insert_rowid();
                        new_series.push((id, text, item.labels.clone()));
                        id
                    }
                };
                let shape = Shape::of(&item.profile);
                let shape_id = match index.shape_ids.get(&shape).copied().or_else(|| {
                    new_shapes
                        .iter()
                        .find(|(_, s)| *s == shape)
                        .map(|(id, _)| *id)
                }) {
                    Some(id) => id,
                    None => {
                        let (types, period) = shape.encode();
                        tx.execute(
                            "INSERT INTO shapes (sample_types, period_type) VALUES (?1, ?2)",
                            [&types, &period],
                        )?;
                        let id = tx.last_insert_rowid();
                        new_shapes.push((id, shape));
                        id
                    }
                };
                let known = index
                    .series
                    .get(&series)
                    .is_some_and(|s| s.shapes.contains(&shape_id));
                if !known && !new_pairs.contains(&(series, shape_id)) {
                    tx.execute(
                        "INSERT OR IGNORE INTO series_shapes (series, shape) VALUES (?1, ?2)",
                        [series, shape_id],
                    )?;
                    new_pairs.push((series, shape_id));
                }
                let uid = (!item.id.is_empty()).then_some(item.id.as_str());
                if let Some(uid) = uid {
                    // A retried push whose first attempt was stored but not acknowledged.
                    let mut seen = tx.prepare_cached("SELECT 1 FROM profiles WHERE uid = ?1")?;
                    if seen.exists([uid])? {
                        continue;
                    }
                }
                let totals = totals(&item.profile);
                tx.execute(
                    "INSERT INTO profiles (series, shape, start_ns, end_ns, totals, uid) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![series, shape_id, item.start_ns, item.end_ns, totals, uid],
                )?;
                let id = tx.last_insert_rowid();
                tx.execute(
                    "INSERT INTO blobs (id, data) VALUES (?1, ?2)",
                    params![id, item.gzipped],
                )?;
            }
        }
        tx.commit()?;
        let mut index = self.index.write().unwrap_or_else(|e| e.into_inner());
        for (id, text, labels) in new_series {
            index.series_ids.insert(text, id);
            index.series.insert(
                id,
                Series {
                    labels,
                    shapes: BTreeSet::new(),
                },
            );
        }
        for (id, shape) in new_shapes {
            index.shape_ids.insert(shape.clone(), id);
            index.shapes.insert(id, shape);
        }
        for (series, shape) in new_pairs {
            if let Some(s) = index.series.get_mut(&series) {
                s.shapes.insert(shape);
            }
        }
        Ok(())
    }

    /// The services (`service_name` values) with profiles, sorted.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// assert!(oxprof_store::Store::open(dir.path())?.services().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn services(&self) -> Vec<String> {
        self.label_values(SERVICE_NAME, &Selector::default())
    }

    /// The label names of the series `selector` selects, sorted.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// assert!(oxprof_store::Store::open(dir.path())?.label_names(&Default::default()).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn label_names(&self, selector: &Selector) -> Vec<String> {
        let index = self.index.read().unwrap_or_else(|e| e.into_inner());
        let names: BTreeSet<&str> = index
            .series
            .values()
            .filter(|s| selector.matches(&s.labels))
            .flat_map(|s| s.labels.iter().map(|l| l.name.as_str()))
            .collect();
        names.into_iter().map(str::to_owned).collect()
    }

    /// The values label `name` takes in the series `selector` selects, sorted.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// assert!(oxprof_store::Store::open(dir.path())?.label_values("env", &Default::default()).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn label_values(&self, name: &str, selector: &Selector) -> Vec<String> {
        let index = self.index.read().unwrap_or_else(|e| e.into_inner());
        let values: BTreeSet<&str> = index
            .series
            .values()
            .filter(|s| selector.matches(&s.labels))
            .filter_map(|s| s.get(name))
            .collect();
        values.into_iter().map(str::to_owned).collect()
    }

    /// Pyroscope's profile type ids (`memory:inuse_space:bytes:space:bytes`) of the series
    /// `selector` selects, sorted.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// assert!(oxprof_store::Store::open(dir.path())?.profile_types(&Default::default()).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn profile_types(&self, selector: &Selector) -> Vec<String> {
        let index = self.index.read().unwrap_or_else(|e| e.into_inner());
        let mut ids = BTreeSet::new();
        for series in index
            .series
            .values()
            .filter(|s| selector.matches(&s.labels))
        {
            let name = series.get(NAME).unwrap_or_default();
            for shape in series.shapes.iter().filter_map(|id| index.shapes.get(id)) {
                ids.extend(shape.type_ids(name));
            }
        }
        ids.into_iter().collect()
    }

    /// The index rows of the profiles `query` selects that start in `[from_ns, until_ns)`, in
    /// time order, each with the shape it has.
    pub(crate) fn rows(
        &self,
        query: &Query,
        from_ns: i64,
        until_ns: i64,
    ) -> Result<(Vec<Row>, HashMap<i64, Shape>), Error> {
        let (series, shapes): (Vec<i64>, HashMap<i64, Shape>) = {
            let index = self.index.read().unwrap_or_else(|e| e.into_inner());
            let series = index
                .series
                .iter()
                .filter(|(_, s)| s.get(NAME) == Some(query.profile_type.name.as_str()))
                .filter(|(_, s)| query.selector.matches(&s.labels))
                .map(|(id, _)| *id)
                .collect();
            (series, index.shapes.clone())
        };
        let reader = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let mut statement = reader.prepare_cached(
            "SELECT id, shape, start_ns, end_ns, totals FROM profiles \
             WHERE series = ?1 AND start_ns >= ?2 AND start_ns < ?3",
        )?;
        let mut rows = Vec::new();
        for series in series {
            let found = statement.query_map(params![series, from_ns, until_ns], |r| {
                Ok(Row {
                    id: r.get(0)?,
                    shape: r.get(1)?,
                    start_ns: r.get(2)?,
                    end_ns: r.get(3)?,
                    totals: parse_totals(&r.get::<_, String>(4)?),
                })
            })?;
            for row in found {
                let row = row?;
                if shapes
                    .get(&row.shape)
                    .and_then(|s| s.index_of(&query.profile_type))
                    .is_some()
                {
                    rows.push(row);
                }
            }
        }
        rows.sort_by_key(|r| (r.start_ns, r.id));
        Ok((rows, shapes))
    }

    /// The timeline of `query` over `[from_ns, until_ns)` in steps of `step_ns`: one point per
    /// step, empty steps included, each with the total of the type's sample values (the last
    /// sample type for a type given by name alone).
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let store = oxprof_store::Store::open(dir.path())?;
    /// let points = store.timeline(&"process_cpu{}".parse()?, 0, 30, 10)?;
    /// assert_eq!(points.iter().map(|p| p.start_ns).collect::<Vec<_>>(), [0, 10, 20]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn timeline(
        &self,
        query: &Query,
        from_ns: i64,
        until_ns: i64,
        step_ns: i64,
    ) -> Result<Vec<Point>, Error> {
        if step_ns <= 0 || until_ns <= from_ns {
            return Err(Error::BadInput(
                "the range must be non-empty and the step positive".into(),
            ));
        }
        let steps = (until_ns - from_ns + step_ns - 1) / step_ns;
        if steps > 100_000 {
            return Err(Error::BadInput(format!(
                "{steps} steps asked for; at most 100000: choose a larger step"
            )));
        }
        let mut points: Vec<Point> = (0..steps)
            .map(|i| Point {
                start_ns: from_ns + i * step_ns,
                total: 0,
                profiles: 0,
            })
            .collect();
        let (rows, shapes) = self.rows(query, from_ns, until_ns)?;
        for row in rows {
            let Some(i) = shapes[&row.shape].index_of(&query.profile_type) else {
                continue;
            };
            let point = &mut points[((row.start_ns - from_ns) / step_ns) as usize];
            point.total = point
                .total
                .saturating_add(row.totals.get(i).copied().unwrap_or(0));
            point.profiles += 1;
        }
        Ok(points)
    }

    /// Deletes the profiles that ended before `cutoff_ns`, returning how many, and gives the
    /// space back to the file system.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let store = oxprof_store::Store::open(dir.path())?;
    /// assert_eq!(store.delete_before(i64::MAX)?, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete_before(&self, cutoff_ns: i64) -> Result<usize, Error> {
        let mut writer = self.lock_writer();
        let tx = writer.transaction()?;
        tx.execute(
            "DELETE FROM blobs WHERE id IN (SELECT id FROM profiles WHERE end_ns < ?1)",
            [cutoff_ns],
        )?;
        let deleted = tx.execute("DELETE FROM profiles WHERE end_ns < ?1", [cutoff_ns])?;
        tx.commit()?;
        if deleted > 0 {
            writer.execute_batch("PRAGMA incremental_vacuum;")?;
        }
        Ok(deleted)
    }

    /// How many profiles and series the store holds, and its size on disk.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// assert!(oxprof_store::Store::open(dir.path())?.stats()?.bytes > 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stats(&self) -> Result<Stats, Error> {
        let reader = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        let profiles: i64 = reader.query_row("SELECT count(*) FROM profiles", [], |r| r.get(0))?;
        let series = self
            .index
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .series
            .len();
        let size = |suffix: &str| {
            let mut name = self.path.clone().into_os_string();
            name.push(suffix);
            std::fs::metadata(name).map_or(0, |m| m.len())
        };
        Ok(Stats {
            profiles: profiles as u64,
            series: series as u64,
            bytes: size("") + size("-wal"),
        })
    }
}

/// A series' labels as stored: a JSON array of `[name, value]` pairs, sorted.
fn encode_labels(labels: &[LabelPair]) -> String {
    let pairs: Vec<[&str; 2]> = labels
        .iter()
        .map(|l| [l.name.as_str(), l.value.as_str()])
        .collect();
    serde_json::to_string(&pairs).expect("strings always serialize")
}

fn decode_labels(text: &str) -> Option<Vec<LabelPair>> {
    let pairs: Vec<[String; 2]> = serde_json::from_str(text).ok()?;
    Some(
        pairs
            .into_iter()
            .map(|[name, value]| LabelPair { name, value })
            .collect(),
    )
}

/// Per sample type, the sum of the profile's values, as stored (`1,2,3`).
fn totals(profile: &oxprof_profile::Profile) -> String {
    let mut sums = vec![0i64; profile.sample_type.len()];
    for sample in &profile.sample {
        for (sum, v) in sums.iter_mut().zip(&sample.value) {
            *sum = sum.saturating_add(*v);
        }
    }
    let text: Vec<String> = sums.iter().map(i64::to_string).collect();
    text.join(",")
}

fn parse_totals(text: &str) -> Vec<i64> {
    text.split(',').filter_map(|v| v.parse().ok()).collect()
}
