//! Opaque paging markers shared by all backends.
//!
//! A marker is base64url (no padding) of `<list tag> NUL <last key of the previous page>`. The tag stops a
//! marker of one list from being replayed against another.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::StoreError;

/// Maximum marker length accepted; keys are at most a few hundred bytes.
const MAX_MARKER_CHARS: usize = 2048;

/// The list a marker belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerList {
    OidcProviders,
    Roles,
    Policies,
    ResourceServers,
    Clients,
    Grants,
}

impl MarkerList {
    fn tag(self) -> &'static str {
        match self {
            MarkerList::OidcProviders => "oidc-providers",
            MarkerList::Roles => "roles",
            MarkerList::Policies => "policies",
            MarkerList::ResourceServers => "resource-servers",
            MarkerList::Clients => "clients",
            MarkerList::Grants => "grants",
        }
    }
}

/// Encodes the key of the last item of a page as the marker for the next page.
pub fn encode_marker(list: MarkerList, last_key: &str) -> String {
    let mut raw = Vec::with_capacity(list.tag().len() + 1 + last_key.len());
    raw.extend_from_slice(list.tag().as_bytes());
    raw.push(0);
    raw.extend_from_slice(last_key.as_bytes());
    URL_SAFE_NO_PAD.encode(raw)
}

/// Decodes a marker into the key after which the next page starts.
pub fn decode_marker(list: MarkerList, marker: &str) -> Result<String, StoreError> {
    if marker.len() > MAX_MARKER_CHARS {
        return Err(StoreError::InvalidMarker);
    }
    let raw = URL_SAFE_NO_PAD
        .decode(marker)
        .map_err(|_| StoreError::InvalidMarker)?;
    let text = String::from_utf8(raw).map_err(|_| StoreError::InvalidMarker)?;
    let (tag, key) = text.split_once('\0').ok_or(StoreError::InvalidMarker)?;
    if tag != list.tag() {
        return Err(StoreError::InvalidMarker);
    }
    Ok(key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_round_trips() {
        let marker = encode_marker(MarkerList::Roles, "ci-deploy");
        assert_eq!(
            decode_marker(MarkerList::Roles, &marker),
            Ok("ci-deploy".to_owned())
        );
    }

    #[test]
    fn marker_of_other_list_rejected() {
        let marker = encode_marker(MarkerList::Roles, "ci-deploy");
        assert_eq!(
            decode_marker(MarkerList::Policies, &marker),
            Err(StoreError::InvalidMarker)
        );
    }

    #[test]
    fn malformed_markers_rejected() {
        for marker in [
            "",
            "!!!",
            "cm9sZXM",
            "/////",
            &"A".repeat(MAX_MARKER_CHARS + 1),
        ] {
            assert_eq!(
                decode_marker(MarkerList::Roles, marker),
                Err(StoreError::InvalidMarker),
                "marker {marker:?}"
            );
        }
    }
}
