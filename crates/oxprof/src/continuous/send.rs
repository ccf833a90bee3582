//! Sending a push: `POST <endpoint>/push.v1.PusherService/Push`, binary protobuf, gzipped,
//! with the credentials and tenant configured; and what to do with the answer.

use std::time::Duration;

use base64::Engine;

use super::Config;

/// What became of a push.
pub(super) enum Outcome {
    /// The server stored it.
    Sent,
    /// It may succeed later: the server is down, busy, or failed.
    Retry(String),
    /// The server refused it for good (4xx): sending it again would be refused again.
    Rejected(String),
}

pub(super) struct Sender {
    agent: ureq::Agent,
    url: String,
    authorization: Option<String>,
    tenant: Option<String>,
}

impl Sender {
    pub(super) fn new(config: &Config) -> Sender {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(config.timeout))
            .user_agent(concat!("oxprof/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let authorization = match &config.auth {
            Some(super::Auth::Basic(user, password)) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
            Some(super::Auth::Bearer(token)) => Some(format!("Bearer {token}")),
            None => None,
        };
        Sender {
            agent,
            url: format!(
                "{}{}",
                config.endpoint.trim_end_matches('/'),
                oxprof_push::PUSH_PATH
            ),
            authorization,
            tenant: config.tenant.clone(),
        }
    }

    pub(super) fn send(&self, body: &[u8]) -> Outcome {
        let mut request = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/proto")
            .header("Content-Encoding", "gzip")
            .header("Connect-Protocol-Version", "1");
        if let Some(value) = &self.authorization {
            request = request.header("Authorization", value);
        }
        if let Some(tenant) = &self.tenant {
            request = request.header("X-Scope-OrgID", tenant);
        }
        let mut response = match request.send(body) {
            Ok(response) => response,
            Err(e) => return Outcome::Retry(format!("{}: {e}", self.url)),
        };
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Outcome::Sent;
        }
        let text = response
            .body_mut()
            .with_config()
            .limit(4096)
            .read_to_string()
            .unwrap_or_default();
        let message = format!(
            "{}: {status} {}",
            self.url,
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        match status {
            408 | 429 => Outcome::Retry(message),
            400..=499 => Outcome::Rejected(message),
            _ => Outcome::Retry(message),
        }
    }
}

/// How long to wait before the `attempt`th retry (from 1): doubling from 500 ms to at most
/// `cap`, each wait drawn between half and all of it so agents that lost the same server do
/// not come back together.
pub(super) fn backoff(attempt: u32, cap: Duration, random: u64) -> Duration {
    let full = Duration::from_millis(500)
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(cap);
    let half = full / 2;
    half + Duration::from_nanos(random % (half.as_nanos() as u64 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let cap = Duration::from_secs(30);
        assert_eq!(backoff(1, cap, 0), Duration::from_millis(250));
        assert_eq!(
            backoff(1, cap, u64::MAX),
            Duration::from_millis(250) + Duration::from_nanos(u64::MAX % 250_000_001)
        );
        assert_eq!(backoff(3, cap, 0), Duration::from_secs(1));
        assert_eq!(backoff(40, cap, 0), Duration::from_secs(15));
        for r in [1, 12345, 999_999_999] {
            let d = backoff(5, cap, r);
            assert!(
                d >= Duration::from_secs(4) && d <= Duration::from_secs(8),
                "{d:?}"
            );
        }
    }
}
