//! Opening a file in a browser or another viewer, as pprof does: `$BROWSER` first, then the
//! usual browsers, `xdg-open` only on a desktop. Without a display, only `$BROWSER` is tried.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{bail, Result};

/// The commands to try, in order, to open a page: `$BROWSER` (a command with arguments), then,
/// when there is a display, pprof's list of browsers and `xdg-open`.
pub(crate) fn browsers() -> Vec<String> {
    let mut commands: Vec<String> = std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .into_iter()
        .collect();
    if cfg!(target_os = "macos") {
        commands.push("/usr/bin/open".into());
    } else if has_display() {
        commands.extend(
            [
                "chrome",
                "google-chrome",
                "chromium",
                "firefox",
                "sensible-browser",
                "xdg-open",
            ]
            .map(String::from),
        );
    }
    commands
}

/// Whether a graphical session is there to show a browser window.
fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()))
}

/// Opens `path` with the first of `viewers` that starts. In a one-shot command the viewer gets
/// a second to read the file (a browser may only hand the page to a running instance and
/// exit); in the shell it runs in the background while the next command is read.
pub(crate) fn open(path: &Path, viewers: &[String], interactive: bool) -> Result<()> {
    for viewer in viewers {
        let mut words = viewer.split_whitespace();
        let Some(program) = words.next() else {
            continue;
        };
        let started = Command::new(program)
            .args(words)
            .arg(path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn();
        if let Ok(child) = started {
            settle(child, interactive);
            return Ok(());
        }
    }
    bail!(
        "could not start any of {}: open {} yourself",
        viewers.join(", "),
        path.display()
    )
}

fn settle(mut child: Child, interactive: bool) {
    if interactive {
        // Reaped in the background so a long session leaves no zombies.
        std::thread::spawn(move || child.wait());
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            _ => return,
        }
    }
}
