//! Route paths: the pattern a route names (`/billing/**`, `/users/*/orders`) and the request path
//! a gateway reports, compared segment by segment.
//!
//! A request path is read the way applications read it, so that no spelling of a path reaches the
//! application under a different route than the one it was checked against:
//! - the query (`?…`) and fragment (`#…`) are not part of it;
//! - empty segments are skipped: `//a///b/` is `/a/b`;
//! - percent escapes are decoded before comparing (`/%62illing` is `/billing`);
//! - a path that could mean two things is refused ([`PathRefusal`]): a `.` or `..` segment (also
//!   escaped, `%2e%2e`), an escaped `/` or `\` inside a segment (`%2F`, `%5C`), a raw `\`, a
//!   broken escape, or a path that does not start with `/`.
//!
//! Nothing here allocates: segments are compared in place, escapes decoded on the fly.

use std::fmt;

/// Longest route pattern, in bytes.
pub const PATTERN_MAX: usize = 1024;

/// A route's path: literal segments, `*` for exactly one segment, and a final `**` for any rest
/// (none included: `/billing/**` matches `/billing` itself). Without `**` the whole path must
/// match. Literal segments are compared with the decoded request segments, case-sensitively.
#[derive(Clone, PartialEq, Eq)]
pub struct PathPattern {
    segments: Vec<Segment>,
    any_rest: bool,
    text: String,
}

#[derive(Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    One,
}

impl PathPattern {
    /// Parses a pattern; the error says what is wrong in words for the operator.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() > PATTERN_MAX {
            return Err(format!("must be at most {PATTERN_MAX} bytes"));
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err("must start with `/`".into());
        };
        let mut segments = Vec::new();
        let mut any_rest = false;
        if !rest.is_empty() {
            let parts: Vec<&str> = rest.split('/').collect();
            for (i, part) in parts.iter().enumerate() {
                let last = i + 1 == parts.len();
                match *part {
                    "" => return Err("must not have empty segments (`//` or a final `/`)".into()),
                    "**" if last => any_rest = true,
                    "**" => return Err("`**` may only be the last segment".into()),
                    "*" => segments.push(Segment::One),
                    "." | ".." => return Err("must not have `.` or `..` segments".into()),
                    literal => {
                        if let Some(c) = literal.chars().find(|&c| !is_literal_char(c)) {
                            return Err(format!(
                                "`{}` is not allowed in a segment (`*` and `**` stand alone; \
                                 write characters unescaped)",
                                c.escape_default()
                            ));
                        }
                        segments.push(Segment::Literal(literal.to_owned()));
                    }
                }
            }
        }
        Ok(Self {
            segments,
            any_rest,
            text: text.to_owned(),
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the (already checked) request path matches.
    pub(crate) fn matches(&self, path: &RequestPath<'_>) -> bool {
        let mut segments = path.segments();
        for expected in &self.segments {
            let Some(segment) = segments.next() else {
                return false;
            };
            if let Segment::Literal(literal) = expected {
                if !decoded_eq(segment, literal) {
                    return false;
                }
            }
        }
        self.any_rest || segments.next().is_none()
    }
}

impl fmt::Debug for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

/// RFC 3986 `pchar` minus `%` (write characters unescaped) and `*` (the wildcard).
fn is_literal_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()+,;=:@".contains(c)
}

/// Why a request path is refused rather than matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRefusal {
    NotAbsolute,
    DotSegment,
    EncodedSeparator,
    BadEscape,
}

impl PathRefusal {
    /// Words for the client.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NotAbsolute => "the original path must start with `/`",
            Self::DotSegment => "the original path has a `.` or `..` segment",
            Self::EncodedSeparator => "the original path has a `\\` or an escaped `/` or `\\`",
            Self::BadEscape => "the original path has a broken percent escape",
        }
    }
}

/// A request path that passed [`RequestPath::parse`]: without query or fragment, and with no
/// segment that could be read two ways.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestPath<'a>(&'a str);

impl<'a> RequestPath<'a> {
    /// Checks `uri` (a path, maybe with `?query` and `#fragment`) once, before any route is tried.
    pub(crate) fn parse(uri: &'a str) -> Result<Self, PathRefusal> {
        let end = uri.find(['?', '#']).unwrap_or(uri.len());
        let path = &uri[..end];
        if !path.starts_with('/') {
            return Err(PathRefusal::NotAbsolute);
        }
        if path.contains('\\') {
            return Err(PathRefusal::EncodedSeparator);
        }
        let checked = Self(path);
        for segment in checked.segments() {
            check_segment(segment)?;
        }
        Ok(checked)
    }

    fn segments(&self) -> impl Iterator<Item = &'a str> {
        self.0.split('/').filter(|s| !s.is_empty())
    }
}

fn check_segment(segment: &str) -> Result<(), PathRefusal> {
    let mut dots = 0;
    let mut length = 0;
    for byte in Decoded::new(segment) {
        match byte? {
            b'/' | b'\\' => return Err(PathRefusal::EncodedSeparator),
            b'.' => dots += 1,
            _ => {}
        }
        length += 1;
    }
    if dots == length && length <= 2 {
        return Err(PathRefusal::DotSegment);
    }
    Ok(())
}

/// Whether the decoded bytes of a checked `segment` are `literal`'s.
fn decoded_eq(segment: &str, literal: &str) -> bool {
    let mut decoded = Decoded::new(segment);
    for expected in literal.bytes() {
        match decoded.next() {
            Some(Ok(byte)) if byte == expected => {}
            _ => return false,
        }
    }
    decoded.next().is_none()
}

/// The bytes of a path segment with its percent escapes decoded.
struct Decoded<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Decoded<'a> {
    fn new(segment: &'a str) -> Self {
        Self {
            bytes: segment.as_bytes(),
            at: 0,
        }
    }
}

impl Iterator for Decoded<'_> {
    type Item = Result<u8, PathRefusal>;

    fn next(&mut self) -> Option<Self::Item> {
        let byte = *self.bytes.get(self.at)?;
        if byte != b'%' {
            self.at += 1;
            return Some(Ok(byte));
        }
        let hex = |i: usize| self.bytes.get(i).and_then(|b| (*b as char).to_digit(16));
        match (hex(self.at + 1), hex(self.at + 2)) {
            (Some(high), Some(low)) => {
                self.at += 3;
                Some(Ok((high * 16 + low) as u8))
            }
            _ => {
                self.at = self.bytes.len();
                Some(Err(PathRefusal::BadEscape))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> bool {
        let pattern = PathPattern::parse(pattern).expect("a valid pattern");
        pattern.matches(&RequestPath::parse(path).expect("a plain path"))
    }

    #[test]
    fn a_final_double_star_matches_the_prefix_and_anything_below() {
        for path in ["/billing", "/billing/", "/billing/a", "/billing/a/b?x=1"] {
            assert!(matches("/billing/**", path), "{path}");
        }
        for path in ["/", "/billingx", "/bill", "/other/billing"] {
            assert!(!matches("/billing/**", path), "{path}");
        }
        assert!(matches("/**", "/"));
        assert!(matches("/**", "/anything/at/all"));
    }

    #[test]
    fn a_star_is_exactly_one_segment_and_plain_patterns_are_whole_paths() {
        assert!(matches("/users/*/orders", "/users/42/orders"));
        assert!(!matches("/users/*/orders", "/users/orders"));
        assert!(!matches("/users/*/orders", "/users/1/2/orders"));
        assert!(!matches("/users/*/orders", "/users/42/orders/7"));
        assert!(matches("/users/*/orders/**", "/users/42/orders/7"));
        assert!(matches("/", "/"));
        assert!(matches("/", "/?q"));
        assert!(!matches("/", "/a"));
    }

    #[test]
    fn request_paths_are_read_as_applications_read_them() {
        assert!(matches("/billing/**", "//billing///x"));
        assert!(matches("/billing/**", "/%62illing/x"));
        assert!(matches("/a:b/**", "/a%3Ab"));
        assert!(!matches("/billing/**", "/Billing"), "case-sensitive");
        assert!(matches("/billing", "/billing#frag"));
    }

    #[test]
    fn ambiguous_request_paths_are_refused() {
        for (path, refusal) in [
            ("billing", PathRefusal::NotAbsolute),
            ("http://h/billing", PathRefusal::NotAbsolute),
            ("/public/../billing", PathRefusal::DotSegment),
            ("/public/./x", PathRefusal::DotSegment),
            ("/public/%2e%2E/billing", PathRefusal::DotSegment),
            ("/public/.%2e", PathRefusal::DotSegment),
            ("/public%2Fbilling", PathRefusal::EncodedSeparator),
            ("/public%5cbilling", PathRefusal::EncodedSeparator),
            ("/public\\billing", PathRefusal::EncodedSeparator),
            ("/a%zz", PathRefusal::BadEscape),
            ("/a%4", PathRefusal::BadEscape),
        ] {
            assert_eq!(RequestPath::parse(path).err(), Some(refusal), "{path}");
        }
        assert!(RequestPath::parse("/a/.well-known/...x?../..").is_ok());
    }

    #[test]
    fn invalid_patterns_say_why() {
        for (pattern, words) in [
            ("billing", "start with `/`"),
            ("/a//b", "empty segments"),
            ("/a/", "empty segments"),
            ("/**/a", "last segment"),
            ("/a/../b", "`..`"),
            ("/a*", "`*` is not allowed"),
            ("/a%20b", "`%` is not allowed"),
            ("/a b", "` ` is not allowed"),
            ("/a?x", "`?` is not allowed"),
        ] {
            let error = PathPattern::parse(pattern).expect_err(pattern);
            assert!(error.contains(words), "{pattern}: {error}");
        }
        let long = format!("/{}", "a".repeat(PATTERN_MAX));
        assert!(PathPattern::parse(&long).is_err());
    }
}
