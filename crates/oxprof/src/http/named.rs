//! Named profiles by path (`heap`, `goroutine?debug=2`, custom ones), and, with `seconds=N`,
//! what a cumulative profile gained over N seconds: two snapshots N seconds apart, the first
//! subtracted from the second, as `net/http/pprof` serves deltas.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::StatusCode;
use oxprof_profile::Profile;

use super::answer::Answer;
use super::query::{positive_seconds, within_limit, Query};
use super::service::Shared;
use crate::profiles::{self, Named};

/// The profiles a delta makes sense for: Go's list. Custom profiles count live entries, and a
/// difference of two such counts is not what their readers expect.
const DELTA_PROFILES: [&str; 6] = [
    "allocs",
    "block",
    "goroutine",
    "heap",
    "mutex",
    "threadcreate",
];

/// The profile `requested` (as the path spells it), in the form `query` asks for.
pub(super) async fn serve(shared: &Arc<Shared>, requested: &str, query: &Query) -> Answer {
    let Ok(profile) = profiles::lookup(requested) else {
        return Answer::error(StatusCode::NOT_FOUND, "Unknown profile");
    };
    let seconds = query.value("seconds");
    if !seconds.is_empty() {
        return delta(shared, profile, requested, seconds, query).await;
    }
    let debug = match query.debug() {
        Ok(debug) => debug,
        Err(answer) => return answer,
    };
    // `gc` (Go's heap parameter) needs nothing: in-use figures are exact as of the request.
    let requested = requested.to_owned();
    let work = {
        let (shared, requested) = (shared.clone(), requested.clone());
        move || written(shared.clone(), profile.clone(), requested.clone(), debug)
    };
    shared
        .outputs
        .join((requested, debug), work)
        .await
        .unwrap_or_else(|| Answer::internal("the server is stopping"))
}

/// The profile written in the form `debug` asks for, as the answer to send.
async fn written(shared: Arc<Shared>, profile: Named, requested: String, debug: u8) -> Answer {
    let written = shared
        .blocking(move || {
            let mut out = Vec::new();
            profile.write_to(&mut out, debug).map(|()| out)
        })
        .await;
    match written {
        Ok(Ok(out)) if debug == 0 => Answer::attachment(&requested, out),
        Ok(Ok(out)) => Answer::text(out),
        Ok(Err(e)) => Answer::internal(&format!("could not write profile {requested:?}: {e}")),
        Err(answer) => answer,
    }
}

/// `seconds=N` on a named profile: checked in Go's order, then two snapshots N seconds apart.
/// Waiting holds no worker.
async fn delta(
    shared: &Shared,
    profile: Named,
    requested: &str,
    seconds: &str,
    query: &Query,
) -> Answer {
    let checked = positive_seconds(seconds).and_then(|seconds| {
        if !DELTA_PROFILES.contains(&profile.name()) {
            return Err(Answer::bad_request(
                r#""seconds" parameter is not supported for this profile type"#,
            ));
        }
        let seconds = within_limit(seconds, shared.max_seconds)?;
        match query.debug()? {
            0 => Ok(seconds),
            _ => Err(Answer::bad_request(
                "seconds and debug params are incompatible",
            )),
        }
    });
    let seconds = match checked {
        Ok(seconds) => seconds,
        Err(answer) => return answer,
    };
    let Some(before) = snapshot(shared, &profile).await else {
        return Answer::internal("failed to collect profile");
    };
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let Some(after) = snapshot(shared, &profile).await else {
        return Answer::internal("failed to collect profile");
    };
    match shared.blocking(move || difference(before, after)).await {
        Ok(Some(out)) => Answer::attachment(&format!("{requested}-delta"), out),
        Ok(None) => Answer::internal("failed to compute delta"),
        Err(answer) => answer,
    }
}

/// The profile now, stamped with the time it was taken.
async fn snapshot(shared: &Shared, profile: &Named) -> Option<Profile> {
    let profile = profile.clone();
    let taken = shared.blocking(move || profile.profile()).await;
    let mut taken = taken.ok()?.ok()?;
    taken.time_nanos = now_nanos();
    Some(taken)
}

/// [`profiles::delta`], gzipped.
fn difference(before: Profile, after: Profile) -> Option<Vec<u8>> {
    let delta = profiles::delta(before, after).ok()?;
    let mut out = Vec::new();
    delta.write_to(&mut out).ok()?;
    Some(out)
}

fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

#[cfg(test)]
mod tests {
    use oxprof_profile::{Sample, ValueType};

    use super::*;

    fn counts(values: &[(u64, i64)], time_nanos: i64) -> Profile {
        let mut p = Profile {
            sample_type: vec![ValueType::new("contentions", "count")],
            time_nanos,
            ..Profile::default()
        };
        for &(location, value) in values {
            p.location.push(oxprof_profile::Location {
                id: location,
                address: 0x1000 * location,
                ..Default::default()
            });
            p.sample.push(Sample {
                location_id: vec![location],
                value: vec![value],
                label: vec![],
            });
        }
        p
    }

    #[test]
    fn a_delta_keeps_what_changed_between_the_snapshots() {
        let before = counts(&[(1, 5), (2, 7)], 1_000);
        let after = counts(&[(1, 5), (2, 10), (3, 4)], 3_000);
        let out = difference(before, after).unwrap();
        let delta = Profile::parse(&out).unwrap();
        assert_eq!(delta.time_nanos, 3_000);
        assert_eq!(delta.duration_nanos, 2_000);
        let mut values: Vec<(u64, i64)> = delta
            .sample
            .iter()
            .map(|s| {
                let location = &delta.location[s.location_id[0] as usize - 1];
                (location.address, s.value[0])
            })
            .collect();
        values.sort();
        assert_eq!(values, [(0x2000, 3), (0x3000, 4)]);
    }
}
