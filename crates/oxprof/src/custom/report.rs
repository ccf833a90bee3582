//! A custom profile's entries as a count profile: symbolized, the profiler's own frames cut off,
//! then each stack's `skip` frames dropped, counting inlined functions as frames as Go does, and
//! equal stacks merged.

use std::collections::HashMap;

use oxprof_profile::{Label, LabelValue, Location, Profile};
use regex::Regex;

use super::entries::Recorded;
use crate::count_profile;
use crate::cpu::TRUNCATED_FRAME;
use crate::profile_build::Frame;

/// The frames between `Profile::add`'s caller and the capture: `add` itself and the unwinder.
const OWN_FRAMES: &str = r"^<?oxprof::(custom|contention|unwind)::.*$";

/// Carries each stack's skip from the raw profile to where it is applied; removed there.
const SKIP: &str = "oxprof_skip";

/// The profile named `name` of entries tallied by stack and skip.
pub(super) fn build(name: &str, tally: HashMap<Recorded, i64>) -> Profile {
    let mut stacks = count_profile::stacks(name);
    for (recorded, count) in &tally {
        let frames: Vec<Frame> = recorded
            .frames
            .iter()
            .map(|&address| match address {
                crate::contention::TRUNCATED => Frame::Synthetic(TRUNCATED_FRAME),
                address => Frame::Address(address),
            })
            .collect();
        let skip = Label::num(SKIP, recorded.skip as i64, "");
        stacks.add(&frames, &[*count], vec![skip]);
    }
    // The stand-in for stacks that skip every frame; counted 0, so it goes again unless used.
    stacks.add(&[lost_frame()], &[0], Vec::new());
    let mut profile = count_profile::build(stacks, Vec::new());
    profile.prune(&Regex::new(OWN_FRAMES).expect("a valid pattern"), None);
    apply_skips(&mut profile);
    // Compaction fails only on dangling ids, which a built profile does not have.
    let _ = profile.compact();
    profile
}

/// Drops each sample's `SKIP` innermost frames (inlined functions count as frames) and its skip
/// label; a stack left empty gets the lost-event frame.
fn apply_skips(profile: &mut Profile) {
    let lost = lost_location(profile);
    let mut next_id = profile.location.iter().map(|l| l.id).max().unwrap_or(0) + 1;
    let mut added: Vec<Location> = Vec::new();
    let by_id: HashMap<u64, usize> = profile
        .location
        .iter()
        .enumerate()
        .map(|(i, l)| (l.id, i))
        .collect();
    for sample in &mut profile.sample {
        let Some(at) = sample.label.iter().position(|l| l.key == SKIP) else {
            continue;
        };
        let mut skip = match sample.label.remove(at).value {
            LabelValue::Num { num, .. } => usize::try_from(num).unwrap_or(0),
            LabelValue::Str(_) => 0,
        };
        let mut dropped = 0;
        while skip > 0 {
            let Some(location) = sample
                .location_id
                .get(dropped)
                .and_then(|id| by_id.get(id))
                .map(|&i| &profile.location[i])
            else {
                break;
            };
            let frames = location.line.len().max(1);
            if frames <= skip {
                skip -= frames;
                dropped += 1;
            } else {
                // The skip ends inside this location's inline chain: a copy keeps the outer
                // functions.
                added.push(Location {
                    id: next_id,
                    line: location.line[skip..].to_vec(),
                    ..location.clone()
                });
                sample.location_id[dropped] = next_id;
                next_id += 1;
                skip = 0;
            }
        }
        sample.location_id.drain(..dropped);
        if sample.location_id.is_empty() {
            sample.location_id.extend(lost);
        }
    }
    profile.location.extend(added);
}

/// The location of [`lost_profile_event`], there because [`build`] put it in.
fn lost_location(profile: &Profile) -> Option<u64> {
    let Frame::Address(address) = lost_frame() else {
        return None;
    };
    profile
        .location
        .iter()
        .find(|l| l.address == address)
        .map(|l| l.id)
}

fn lost_frame() -> Frame {
    Frame::Address(lost_profile_event as *const () as usize as u64)
}

/// The one frame of entries whose `skip` went past the whole stack, as Go's
/// `runtime/pprof.lostProfileEvent`: a real function, so every tool shows it by name.
#[inline(never)]
fn lost_profile_event() -> u64 {
    std::hint::black_box(0x6c6f_7374_5f65_7674)
}
