//! Names people type (a site's, a firm's, a township's): what a name may
//! hold. Control characters (CR, LF, ESC, …) and the bidirectional
//! overrides are refused, so that a stored name cannot rewrite a terminal
//! line, split a CSV row or reverse how a page shows the text around it.

/// A name of at most `max` characters, trimmed, without control or
/// direction-override characters; `what` names it in the error.
pub fn plain(s: &str, what: &str, max: usize) -> Result<String, String> {
    let t = s.trim();
    if let Some(c) = t.chars().find(|c| c.is_control() || is_bidi_control(*c)) {
        return Err(format!(
            "{what} `{}`: the character U+{:04X} is not allowed in a name",
            t.escape_debug(),
            c as u32
        ));
    }
    let n = t.chars().count();
    if n > max {
        return Err(format!("{what}: {n} characters, at most {max}"));
    }
    Ok(t.to_string())
}

/// The bidirectional controls (overrides, embeddings, isolates, marks).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

/// A longitude and latitude (degrees, WGS-84/GCJ-02): finite and in range.
pub fn lon_lat(lon: Option<f64>, lat: Option<f64>) -> Result<(), String> {
    if let Some(x) = lon
        && !(x.is_finite() && (-180.0..=180.0).contains(&x))
    {
        return Err(format!("longitude {x}: degrees between −180 and 180"));
    }
    if let Some(y) = lat
        && !(y.is_finite() && (-90.0..=90.0).contains(&y))
    {
        return Err(format!("latitude {y}: degrees between −90 and 90"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_without_control_characters() {
        assert_eq!(
            plain(" 泌阳县城区站 ", "site name", 64),
            Ok("泌阳县城区站".into())
        );
        for bad in [
            "line1\r\nline2",
            "a\u{1b}[31m",
            "=1+2\r\nx",
            "abc\u{202E}gpj.exe",
            "tab\there",
        ] {
            assert!(plain(bad, "site name", 64).is_err(), "{bad:?}");
        }
        assert!(
            plain(&"长".repeat(65), "site name", 64)
                .unwrap_err()
                .contains("65 characters")
        );
        assert!(lon_lat(Some(113.4), Some(32.7)).is_ok());
        assert!(lon_lat(Some(999.0), None).is_err());
        assert!(lon_lat(None, Some(-999.0)).is_err());
        assert!(lon_lat(Some(f64::INFINITY), None).is_err());
        assert!(lon_lat(Some(f64::NAN), None).is_err());
    }
}
