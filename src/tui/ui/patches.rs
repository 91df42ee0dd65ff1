//! The patches view (`p`): for channel d of the selected layer, the receptive fields of its
//! strongest activations across a folder of photos, each with its value.

use super::{centered_note, draw_raster, panel, theme, waiting};
use crate::nn::Src;
use crate::tui::app::App;
use crate::tui::bars::bar;
use crate::tui::cache::{Key, What};
use crate::tui::raster::Raster;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let t = theme(app);
    let pv = app.patch_view();
    let name = app.name_of(app.sel()).to_string();
    let n = pv.scan.as_ref().map_or(0, |s| s.photos.len());
    let title = format!(
        "what drives {name} channel d {}: its strongest receptive fields in {n} photos · , . d · [ ] layer",
        app.d()
    );
    let block = panel(app, area, title, None);
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(dir) = &pv.dir else {
        centered_note(
            app,
            inner,
            buf,
            "no folder to scan: start with --scan DIR (a folder of photos), or open a photo from one",
        );
        return;
    };
    if let Some(e) = &pv.error {
        centered_note(app, inner, buf, &format!("✗ {e}"));
        return;
    }
    if let Some((done, total, secs)) = pv.progress {
        let eta = if done > 0 { secs / done as f64 * (total - done) as f64 } else { 0.0 };
        let msg = format!(
            "scanning {}: {done}/{total} photos · {secs:.1} s · ETA {eta:.1} s",
            dir.display()
        );
        let y = inner.y + inner.height / 2;
        Line::from(Span::styled(msg, t.warn()))
            .render(Rect::new(inner.x + 2, y, inner.width.saturating_sub(4), 1), buf);
        let b =
            bar(done as f32, total.max(1) as f32, inner.width.saturating_sub(4) as usize, false);
        Line::from(Span::styled(b, t.bar(true)))
            .render(Rect::new(inner.x + 2, y + 1, inner.width.saturating_sub(4), 1), buf);
        return;
    }
    let Some(scan) = &pv.scan else {
        centered_note(app, inner, buf, &waiting(app));
        return;
    };
    let Src::Layer(layer) = app.sel() else {
        centered_note(
            app,
            inner,
            buf,
            "the input has no channels to drive: pick a layer with ] (or PgDn)",
        );
        return;
    };
    if scan.layer(layer).is_none() {
        centered_note(app, inner, buf, &format!("{name} is not a volume: it was not scanned"));
        return;
    }
    let Some((pl, pd, patches)) = &pv.patches else {
        centered_note(app, inner, buf, "cropping the patches…");
        return;
    };
    let status = format!(
        "{} photos of {} · {} · each photo gives its maximum; the {} largest",
        scan.photos.len(),
        dir.display(),
        if scan.cached {
            "read from the cache".to_string()
        } else {
            format!("scanned in {:.1} s", pv.secs)
        },
        scan.k
    );
    Line::from(Span::styled(status, t.dim())).render(Rect { height: 1, ..inner }, buf);
    if (*pl, *pd) != (layer, app.d()) {
        crate::tui::dim::dim(buf, inner, app.tier());
    }
    let body = Rect { y: inner.y + 1, height: inner.height.saturating_sub(1), ..inner };
    let cols = 3u16;
    let rows = (patches.len() as u16).div_ceil(cols).max(1);
    let (tw, th) = (body.width / cols, body.height / rows);
    for (k, (hit, img)) in patches.iter().enumerate() {
        let (gx, gy) = (k as u16 % cols, k as u16 / cols);
        let tile = Rect::new(body.x + gx * tw, body.y + gy * th, tw.saturating_sub(1), th);
        let pic = Rect { height: tile.height.saturating_sub(2), ..tile };
        match img {
            Ok(img) => {
                let key = Key::of(app, What::Patch { serial: pv.serial, k }, pic.width, pic.height);
                let raster = app
                    .cache
                    .borrow_mut()
                    .get_or(key, || Raster::of_image(img, app.paint(), pic.width, pic.height));
                draw_raster(app, &raster, pic, buf, None);
            }
            Err(e) => centered_note(app, pic, buf, e),
        }
        let file = &scan.photos[hit.image as usize].path;
        let label = Line::from(vec![
            Span::styled(format!("{}. {:.3} ", k + 1, hit.value), t.accent()),
            Span::styled(format!("[{}, {}] {file}", hit.r, hit.c), t.dim()),
        ]);
        label.render(Rect { y: tile.bottom().saturating_sub(2), height: 1, ..tile }, buf);
    }
}
