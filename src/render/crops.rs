//! Cover crops: what a `pic_crop_235_1`, `pic_crop_1_1` or `cover_info` crop selects of the
//! cover's real size, and a warning with the right crop when WeChat would stretch it.

use std::path::Path;

use crate::diag::Diagnostic;
use crate::render::assets::Role;
use crate::render::images::{ArticleImages, dimensions};
use crate::render::payload::{Payload, is_newspic};

/// Checks every crop of a payload against its cover (the `news` cover, or a `newspic`'s first
/// image), when the cover is a local image whose size can be read. Returns each finding with
/// the front matter key it concerns.
pub fn check_cover(
    root: &Path,
    file: &str,
    payload: &Payload,
    images: &ArticleImages,
) -> Vec<(Diagnostic, &'static str)> {
    let cover = if is_newspic(payload) {
        images.assets.iter().find(|a| a.role == Role::Newspic)
    } else {
        payload
            .thumb_media_id
            .as_ref()
            .and_then(|t| images.asset(t, Role::Cover))
    };
    let Some((w, h)) = cover.and_then(|c| dimensions(root, c)) else {
        return Vec::new();
    };
    let mut crops: Vec<(&'static str, String, f64)> = Vec::new();
    for (key, value, ratio) in [
        ("pic_crop_235_1", &payload.pic_crop_235_1, 2.35),
        ("pic_crop_1_1", &payload.pic_crop_1_1, 1.0),
    ] {
        if let Some(v) = value {
            crops.push((key, v.clone(), ratio));
        }
    }
    for c in payload
        .cover_info
        .iter()
        .flat_map(|ci| &ci.crop_percent_list)
    {
        let ratio = match c.ratio.as_str() {
            "1_1" => 1.0,
            "16_9" => 16.0 / 9.0,
            "2.35_1" => 2.35,
            _ => continue,
        };
        crops.push((
            "cover_info",
            format!("{}_{}_{}_{}", c.x1, c.y1, c.x2, c.y2),
            ratio,
        ));
    }
    crops
        .into_iter()
        .filter_map(|(key, value, ratio)| {
            check_crop(file, key, &value, ratio, w, h).map(|d| (d, key))
        })
        .collect()
}

/// Checks a crop (`X1_Y1_X2_Y2`, fractions of the cover) against the cover's real size:
/// the area it selects should have the ratio WeChat shows it at. Malformed crops are left to
/// the payload checks.
fn check_crop(
    file: &str,
    key: &str,
    value: &str,
    ratio: f64,
    width: u32,
    height: u32,
) -> Option<Diagnostic> {
    let v: Vec<f64> = value.split('_').filter_map(|x| x.parse().ok()).collect();
    let [x1, y1, x2, y2] = v[..] else {
        return None;
    };
    if !(x1 < x2 && y1 < y2) {
        return None;
    }
    let (w, h) = (f64::from(width), f64::from(height));
    let (cw, ch) = ((x2 - x1) * w, (y2 - y1) * h);
    if cw < 1.0 || ch < 1.0 {
        return Some(Diagnostic::error(
            file,
            format!("`{key}` {value} selects less than one pixel of the {width}×{height} px cover"),
        ));
    }
    let got = cw / ch;
    if (got / ratio - 1.0).abs() <= 0.02 {
        return None;
    }
    // The largest centred area of the right ratio.
    let (fx, fy) = if w / h >= ratio {
        ((h * ratio / w).min(1.0), 1.0)
    } else {
        (1.0, (w / ratio / h).min(1.0))
    };
    // Within a pixel's worth of the whole side: the whole side.
    let snap = |f: f64| if f > 0.995 { 1.0 } else { f };
    let (fx, fy) = (snap(fx), snap(fy));
    let c = |v: f64| super::payload::coord((v * 1e6).round() / 1e6);
    let suggestion = format!(
        "{}_{}_{}_{}",
        c((1.0 - fx) / 2.0),
        c((1.0 - fy) / 2.0),
        c((1.0 + fx) / 2.0),
        c((1.0 + fy) / 2.0)
    );
    let want = if ratio == 1.0 {
        "1:1".to_string()
    } else {
        format!("{ratio:.2}:1")
    };
    Some(
        Diagnostic::warning(
            file,
            format!(
                "`{key}` {value} selects {}×{} px of the {width}×{height} px cover, a {got:.2}:1 area; WeChat shows this crop at {want}, so it will look stretched",
                cw.round(),
                ch.round()
            ),
        )
        .with_help(format!("the largest centred {want} area is {suggestion}")),
    )
}
