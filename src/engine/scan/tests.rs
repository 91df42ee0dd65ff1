//! A scan of generated photos whose answers are known: photo i lights one pixel of channel
//! i mod 3 with brightness 20·(i + 1); everything else is black.

use super::*;
use crate::nn::analysis::analyze;
use crate::nn::layer::{Layer, LayerKind, Origin, Weights};
use crate::nn::network::{InputSpec, Normalize};
use crate::nn::{Network, Shape3};

fn net() -> Network {
    Network {
        name: "rgb".into(),
        input: InputSpec::volume(Shape3::new(8, 8, 3), Normalize::unit(), None),
        layers: vec![Layer {
            name: "relu".into(),
            kind: LayerKind::Relu,
            inputs: vec![Src::Input],
            weights: Weights::None,
            origin: Origin::None,
            strict: false,
        }],
        labels: None,
        source: None,
        files: vec![],
        aliases: vec![],
        folded_nodes: 0,
    }
}

/// Photo i: the pixel ((i·3) mod 8, (i·5) mod 8) of channel i mod 3 at 20·(i + 1).
fn lit(i: usize) -> (usize, usize, usize, u8) {
    ((i * 3) % 8, (i * 5) % 8, i % 3, (20 * (i + 1)) as u8)
}

#[test]
fn each_channel_keeps_the_photos_that_light_it_brightest_and_a_second_scan_reads_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("more")).unwrap();
    for i in 0..9 {
        let (r, c, ch, v) = lit(i);
        let mut img = image::RgbImage::new(8, 8);
        img.get_pixel_mut(c as u32, r as u32).0[ch] = v;
        let sub = if i % 2 == 0 { "" } else { "more/" };
        img.save(dir.path().join(format!("{sub}photo{i}.png"))).unwrap();
    }
    std::fs::write(dir.path().join("broken.png"), b"not a png").unwrap();
    let n = net();
    let an = analyze(&n).unwrap();
    let mut calls = 0;
    let s = scan(&n, &an, dir.path(), &[0], 2, &mut |_, total| {
        calls += 1;
        total == 10
    })
    .unwrap()
    .unwrap();
    assert_eq!((calls, s.photos.len(), s.skipped.len(), s.cached), (10, 10, 1, false));
    let ls = s.layer(0).unwrap();
    assert_eq!(ls.shape, [8, 8, 3]);
    for d in 0..3 {
        // The two brightest photos of channel d: i = d + 6, then d + 3.
        let want: Vec<(String, u32, u32, f32)> = [d + 6, d + 3]
            .iter()
            .map(|&i| {
                let (r, c, _, v) = lit(i);
                let sub = if i % 2 == 0 { "" } else { "more/" };
                (format!("{sub}photo{i}.png"), r as u32, c as u32, f32::from(v) / 255.0)
            })
            .collect();
        let got: Vec<(String, u32, u32, f32)> = ls.top[d]
            .iter()
            .map(|h| (s.photos[h.image as usize].path.clone(), h.r, h.c, h.value))
            .collect();
        assert_eq!(got.len(), 2);
        for (g, w) in got.iter().zip(&want) {
            assert_eq!((&g.0, g.1, g.2), (&w.0, w.1, w.2), "channel {d}");
            assert!((g.3 - w.3).abs() < 1e-6, "channel {d}: {} vs {}", g.3, w.3);
        }
    }
    let again =
        scan(&n, &an, dir.path(), &[0], 2, &mut |_, _| panic!("no photo runs")).unwrap().unwrap();
    assert!(again.cached);
    assert_eq!(again.layer(0), s.layer(0));
    // Another k is another cache entry; a changed photo list invalidates it.
    std::fs::remove_file(dir.path().join("photo0.png")).unwrap();
    let mut ran = false;
    let third = scan(&n, &an, dir.path(), &[0], 2, &mut |_, _| {
        ran = true;
        true
    })
    .unwrap()
    .unwrap();
    assert!(ran && !third.cached && third.photos.len() == 9);
    // The patch of a hit is the neuron's receptive field: one pixel here, its colour.
    let h = third.layer(0).unwrap().top[0][0];
    let p = patches::patch(&n, &an, &third, 0, &h, 64).unwrap();
    assert_eq!(p.dimensions(), (1, 1));
    assert_eq!(p.get_pixel(0, 0).0[0], (h.value * 255.0).round() as u8);
}

#[test]
fn an_empty_or_missing_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let n = net();
    let an = analyze(&n).unwrap();
    let e = scan(&n, &an, dir.path(), &[0], 9, &mut |_, _| true).unwrap_err();
    assert!(e.contains("no PNG or JPEG"), "{e}");
    let e = scan(&n, &an, &dir.path().join("nope"), &[0], 9, &mut |_, _| true).unwrap_err();
    assert!(e.contains("nope"), "{e}");
}
