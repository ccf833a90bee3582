//! The address `-http` names: `host:port`, where a missing host means this machine only.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, ToSocketAddrs};

use anyhow::{anyhow, bail, Result};

/// Where the web UI listens, and whether it serves this machine only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address {
    /// The addresses to try binding, in order.
    pub candidates: Vec<SocketAddr>,
    /// Only loopback clients, asking for a loopback host name, are served: no host was given
    /// (`-http=:8080`), or a loopback one.
    pub local_only: bool,
}

/// Reads `-http`'s value: `:PORT` binds 127.0.0.1, `HOST:PORT` binds as told (`[::1]:PORT`
/// for IPv6); port 0 picks a free port.
pub(crate) fn parse(spec: &str) -> Result<Address> {
    parse_flag("-http", spec)
}

/// [`parse`] for the flag named `flag` (`--listen` too), which messages name.
pub(crate) fn parse_flag(flag: &str, spec: &str) -> Result<Address> {
    let usage =
        || anyhow!("{flag}={spec}: want host:port, such as :8080, localhost:8080 or 0.0.0.0:8080");
    let (host, port) = spec.rsplit_once(':').ok_or_else(usage)?;
    if port.is_empty() {
        return Err(usage());
    }
    let port: u16 = port
        .parse()
        .map_err(|_| anyhow!("{flag}={spec}: port {port:?} is not a number from 0 to 65535"))?;
    if host.is_empty() {
        return Ok(Address {
            candidates: vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)],
            local_only: true,
        });
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let candidates: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) if host.starts_with('[') || bare.contains(':') => {
            bail!("{flag}={spec}: {host} is not an IP address")
        }
        Err(_) => (bare, port)
            .to_socket_addrs()
            .map_err(|e| anyhow!("{flag}={spec}: cannot resolve host {bare}: {e}"))?
            .collect(),
    };
    if candidates.is_empty() {
        bail!("{flag}={spec}: host {bare} has no address");
    }
    let local_only = candidates.iter().all(|a| a.ip().is_loopback());
    Ok(Address {
        candidates,
        local_only,
    })
}

/// Binds the first candidate that can be bound, with a message saying what to do when none can.
pub(crate) fn bind(address: &Address) -> Result<TcpListener> {
    bind_flag("-http", address)
}

/// [`bind`] for the flag named `flag`, which the message for a port in use names.
pub(crate) fn bind_flag(flag: &str, address: &Address) -> Result<TcpListener> {
    let mut first_error = None;
    for candidate in &address.candidates {
        match TcpListener::bind(candidate) {
            Ok(listener) => return Ok(listener),
            Err(e) => {
                first_error.get_or_insert((*candidate, e));
            }
        }
    }
    let (addr, e) = first_error.expect("parse gives at least one candidate");
    Err(match e.kind() {
        std::io::ErrorKind::AddrInUse => anyhow!(
            "cannot serve on {addr}: the port is in use (choose another with {flag}=:PORT, or :0 for any free port)"
        ),
        std::io::ErrorKind::AddrNotAvailable => {
            anyhow!("cannot serve on {addr}: no network interface of this machine has that address")
        }
        std::io::ErrorKind::PermissionDenied => {
            anyhow!("cannot serve on {addr}: permission denied (ports below 1024 need privileges)")
        }
        _ => anyhow!("cannot serve on {addr}: {e}"),
    })
}

/// Whether a request's `Host` header names this machine: a page of another site that rebinds
/// its own name to 127.0.0.1 sends its own name, and is refused.
pub(crate) fn is_local_host_header(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(':') => {
            name
        }
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_host_means_loopback_only() {
        let a = parse(":8080").unwrap();
        assert_eq!(a.candidates, ["127.0.0.1:8080".parse().unwrap()]);
        assert!(a.local_only);
        let a = parse("0.0.0.0:0").unwrap();
        assert_eq!(a.candidates, ["0.0.0.0:0".parse().unwrap()]);
        assert!(!a.local_only);
        let a = parse("[::1]:9").unwrap();
        assert_eq!(a.candidates, ["[::1]:9".parse().unwrap()]);
        assert!(a.local_only);
        assert!(parse("localhost:1").unwrap().local_only);
    }

    #[test]
    fn bad_addresses_say_what_is_wrong() {
        let err = |s: &str| parse(s).unwrap_err().to_string();
        assert_eq!(
            err("8080"),
            "-http=8080: want host:port, such as :8080, localhost:8080 or 0.0.0.0:8080"
        );
        assert_eq!(
            err(":http"),
            "-http=:http: port \"http\" is not a number from 0 to 65535"
        );
        assert_eq!(
            err(":70000"),
            "-http=:70000: port \"70000\" is not a number from 0 to 65535"
        );
        assert!(err("no.such.host.invalid:80").starts_with(
            "-http=no.such.host.invalid:80: cannot resolve host no.such.host.invalid: "
        ));
        assert_eq!(
            err("[::zz]:80"),
            "-http=[::zz]:80: [::zz] is not an IP address"
        );
    }

    #[test]
    fn a_port_in_use_is_named() {
        let taken = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = taken.local_addr().unwrap().port();
        let err = bind(&parse(&format!(":{port}")).unwrap())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!("cannot serve on 127.0.0.1:{port}: the port is in use (choose another with -http=:PORT, or :0 for any free port)")
        );
    }

    #[test]
    fn host_headers_of_this_machine() {
        for h in [
            "localhost:8080",
            "127.0.0.1:80",
            "[::1]:8080",
            "LOCALHOST",
            "127.0.0.2",
        ] {
            assert!(is_local_host_header(h), "{h}");
        }
        for h in [
            "evil.example:8080",
            "10.0.0.1:80",
            "",
            "localhost.evil.example",
        ] {
            assert!(!is_local_host_header(h), "{h}");
        }
    }
}
