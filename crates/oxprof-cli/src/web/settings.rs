//! Named configurations of the web UI, kept as pprof keeps its own (`~/.config/pprof/
//! settings.json`) under oxprof's name: `$XDG_CONFIG_HOME/oxprof/settings.json`, else
//! `~/.config/oxprof/settings.json`. Each is a name and the URL parameters of a view:
//!
//! ```json
//! {"configs": [{"name": "no runtime", "params": {"view": "top", "hide": "^runtime\\."}}]}
//! ```

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use serde_json::{json, Map, Value};

/// One saved configuration: a name and its URL parameters, in order.
pub(crate) type Named = (String, Vec<(String, String)>);

/// The settings file, if there is a home or config directory to keep it in.
pub(crate) fn default_path() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some(config.join("oxprof").join("settings.json"))
}

/// The configurations in `path`; none when it does not exist.
pub(crate) fn load(path: &Path) -> Result<Vec<Named>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => bail!("{}: {e}", path.display()),
    };
    let bad = || anyhow!("{}: not an oxprof settings file", path.display());
    let value: Value =
        serde_json::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let Some(configs) = value.get("configs") else {
        return Ok(Vec::new());
    };
    configs
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|c| {
            let name = c.get("name").and_then(Value::as_str).ok_or_else(bad)?;
            let params = c
                .get("params")
                .and_then(Value::as_object)
                .ok_or_else(bad)?
                .iter()
                .map(|(k, v)| Ok((k.clone(), v.as_str().ok_or_else(bad)?.to_string())))
                .collect::<Result<_>>()?;
            Ok((name.to_string(), params))
        })
        .collect()
}

/// Adds the configuration `named` to `path`, replacing one of the same name.
pub(crate) fn save(path: &Path, named: Named) -> Result<()> {
    if named.0.trim().is_empty() {
        bail!("a configuration needs a name");
    }
    let mut configs = load(path)?;
    match configs.iter_mut().find(|c| c.0 == named.0) {
        Some(old) => *old = named,
        None => configs.push(named),
    }
    store(path, &configs)
}

/// Removes the configuration called `name` from `path`.
pub(crate) fn delete(path: &Path, name: &str) -> Result<()> {
    let mut configs = load(path)?;
    let before = configs.len();
    configs.retain(|c| c.0 != name);
    if configs.len() == before {
        bail!("no configuration called {name:?}");
    }
    store(path, &configs)
}

/// The configurations as the API gives them.
pub(crate) fn to_json(configs: &[Named]) -> Value {
    json!({
        "configs": configs
            .iter()
            .map(|(name, params)| json!({"name": name, "params": params_object(params)}))
            .collect::<Vec<_>>()
    })
}

fn params_object(params: &[(String, String)]) -> Value {
    Value::Object(
        params
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect::<Map<_, _>>(),
    )
}

fn store(path: &Path, configs: &[Named]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| anyhow!("{}: {e}", dir.display()))?;
    let text = serde_json::to_string_pretty(&to_json(configs))? + "\n";
    // Written aside and renamed, so a crash never leaves half a file.
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|e| anyhow!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| anyhow!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn saves_replaces_and_deletes() {
        let dir = std::env::temp_dir().join(format!("oxprof-settings-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("oxprof/settings.json");
        assert_eq!(load(&path).unwrap(), vec![]);
        save(&path, ("a".into(), pairs(&[("focus", "x\"y")]))).unwrap();
        save(&path, ("b".into(), pairs(&[("view", "top")]))).unwrap();
        save(&path, ("a".into(), pairs(&[("hide", "z")]))).unwrap();
        assert_eq!(
            load(&path).unwrap(),
            vec![
                ("a".to_string(), pairs(&[("hide", "z")])),
                ("b".to_string(), pairs(&[("view", "top")]))
            ]
        );
        delete(&path, "a").unwrap();
        assert_eq!(load(&path).unwrap().len(), 1);
        assert_eq!(
            delete(&path, "a").unwrap_err().to_string(),
            "no configuration called \"a\""
        );
        assert_eq!(
            save(&path, (" ".into(), vec![])).unwrap_err().to_string(),
            "a configuration needs a name"
        );
        std::fs::write(&path, "[1]").unwrap();
        assert!(load(&path).is_ok_and(|c| c.is_empty()));
        std::fs::write(&path, "{\"configs\": 3}").unwrap();
        assert!(load(&path)
            .unwrap_err()
            .to_string()
            .ends_with("not an oxprof settings file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
