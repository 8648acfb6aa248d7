//! The fonts every PDF embeds: DejaVu Sans and DejaVu Sans Bold, cut to
//! Latin (with Latin Extended), Greek and Cyrillic (`shared/assets/fonts`,
//! made by `infra/fonts/subset-dejavu.sh`; licence beside them), compiled
//! in zlib-compressed and inflated on first use. Text is
//! measured with the fonts' own advance widths, and each document embeds a
//! subset of only the glyphs it shows, as a CID font (`Identity-H`, two
//! bytes a glyph) with a `ToUnicode` map so that the text copies and
//! extracts back as written.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::LazyLock;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use super::{ExportError, Format};

/// Which of the two fonts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Style {
    Regular,
    Bold,
}

/// A font's file and what the layout needs from it.
pub struct Font {
    /// The PDF's `BaseFont` (a subset's name gets a six-letter tag).
    name: &'static str,
    data: &'static [u8],
    face: Face<'static>,
    units_per_em: f32,
}

/// A compiled-in font file, inflated.
fn inflate(compressed: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(compressed.len() * 2);
    // The files are part of the build: a failure here is a broken build,
    // caught by every test that draws text.
    flate2::read::ZlibDecoder::new(compressed)
        .read_to_end(&mut data)
        .expect("the embedded font inflates");
    data
}

fn load(name: &'static str, data: &'static [u8]) -> Font {
    let face = Face::parse(data, 0).expect("the embedded font parses");
    Font { name, data, units_per_em: f32::from(face.units_per_em()), face }
}

static REGULAR_FILE: LazyLock<Vec<u8>> =
    LazyLock::new(|| inflate(include_bytes!("../../assets/fonts/DejaVuSans-LGC.ttf.zlib")));
static BOLD_FILE: LazyLock<Vec<u8>> =
    LazyLock::new(|| inflate(include_bytes!("../../assets/fonts/DejaVuSans-Bold-LGC.ttf.zlib")));
static REGULAR: LazyLock<Font> = LazyLock::new(|| load("DejaVuSans", &REGULAR_FILE));
static BOLD: LazyLock<Font> = LazyLock::new(|| load("DejaVuSans-Bold", &BOLD_FILE));

impl Style {
    pub fn font(self) -> &'static Font {
        match self {
            Style::Regular => &REGULAR,
            Style::Bold => &BOLD,
        }
    }
}

/// The replacement glyph of a character the font lacks (`U+FFFD`, else
/// the font's `.notdef`).
fn glyph(font: &Font, c: char) -> GlyphId {
    font.face.glyph_index(c).or_else(|| font.face.glyph_index('\u{FFFD}')).unwrap_or(GlyphId(0))
}

impl Font {
    /// Advance of `c` in thousandths of the font size (PDF glyph space).
    fn advance(&self, id: GlyphId) -> f32 {
        f32::from(self.face.glyph_hor_advance(id).unwrap_or(0)) * 1000.0 / self.units_per_em
    }

    /// Width of `text` at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(glyph(self, c))).sum::<f32>() * size / 1000.0
    }

    /// Whether the font draws `c` (rather than its replacement).
    pub fn covers(&self, c: char) -> bool {
        self.face.glyph_index(c).is_some()
    }

    fn scaled(&self, units: i16) -> f32 {
        f32::from(units) * 1000.0 / self.units_per_em
    }
}

/// The glyphs a document shows in one font, and the characters they stand
/// for (for `ToUnicode`).
#[derive(Debug, Default)]
pub struct GlyphSet {
    used: BTreeMap<u16, char>,
}

impl GlyphSet {
    pub fn add(&mut self, font: &Font, text: &str) {
        for c in text.chars() {
            // A character the font lacks is drawn, and extracts, as U+FFFD.
            let c = if font.covers(c) { c } else { '\u{FFFD}' };
            self.used.entry(glyph(font, c).0).or_insert(c);
        }
    }
}

/// A font as embedded in one document: its glyphs renumbered 1, 2, ...
pub struct Embedded {
    style: Style,
    remapper: GlyphRemapper,
    used: BTreeMap<u16, char>,
}

impl Embedded {
    pub fn new(style: Style, set: GlyphSet) -> Self {
        let mut remapper = GlyphRemapper::new();
        for id in set.used.keys() {
            remapper.remap(*id);
        }
        Embedded { style, remapper, used: set.used }
    }

    /// `text` as the two-byte codes of the subset's glyphs.
    pub fn encode(&self, text: &str) -> Vec<u8> {
        let font = self.style.font();
        text.chars()
            .flat_map(|c| self.remapper.get(glyph(font, c).0).unwrap_or(0).to_be_bytes())
            .collect()
    }

    /// Writes the font's objects; `refs` are five free ids (the `Type0`
    /// font first: the one pages name).
    pub fn write(&self, pdf: &mut Pdf, refs: [Ref; 5]) -> Result<(), ExportError> {
        let [type0, cid, descriptor, file, cmap] = refs;
        let font = self.style.font();
        let subset = subsetter::subset(font.data, 0, &self.remapper)
            .map_err(|e| ExportError::write(Format::Pdf, e))?;
        // A subset's name carries a tag of six capitals (ISO 32000, 9.6.4),
        // here derived from the glyphs it holds.
        let tag: String = {
            let mut h: u32 = 2166136261;
            for id in self.used.keys() {
                h = (h ^ u32::from(*id)).wrapping_mul(16777619);
            }
            (0..6).map(|i| char::from(b'A' + ((h >> (i * 5)) % 26) as u8)).collect()
        };
        let base = format!("{tag}+{}", font.name);
        let info =
            SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };

        pdf.type0_font(type0)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);

        let mut cid_font = pdf.cid_font(cid);
        cid_font
            .subtype(CidFontType::Type2)
            .base_font(Name(base.as_bytes()))
            .system_info(info)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let widths: Vec<f32> =
            self.remapper.remapped_gids().map(|old| font.advance(GlyphId(old))).collect();
        cid_font.widths().consecutive(0, widths);
        cid_font.finish();

        let bbox = font.face.global_bounding_box();
        let flags = if self.style == Style::Bold {
            FontFlags::NON_SYMBOLIC | FontFlags::FORCE_BOLD
        } else {
            FontFlags::NON_SYMBOLIC
        };
        pdf.font_descriptor(descriptor)
            .name(Name(base.as_bytes()))
            .flags(flags)
            .bbox(Rect::new(
                font.scaled(bbox.x_min),
                font.scaled(bbox.y_min),
                font.scaled(bbox.x_max),
                font.scaled(bbox.y_max),
            ))
            .italic_angle(0.0)
            .ascent(font.scaled(font.face.ascender()))
            .descent(font.scaled(font.face.descender()))
            .cap_height(font.scaled(font.face.capital_height().unwrap_or(font.face.ascender())))
            .stem_v(if self.style == Style::Bold { 140.0 } else { 80.0 })
            .font_file2(file);

        pdf.stream(file, &deflate(&subset)?).filter(Filter::FlateDecode);

        let mut unicode = UnicodeCmap::new(Name(b"Custom"), info);
        for (old, c) in &self.used {
            if let Some(new) = self.remapper.get(*old) {
                unicode.pair(new, *c);
            }
        }
        pdf.cmap(cmap, &unicode.finish());
        Ok(())
    }
}

/// zlib-compressed bytes (a `FlateDecode` stream).
pub fn deflate(bytes: &[u8]) -> Result<Vec<u8>, ExportError> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).map_err(|e| ExportError::write(Format::Pdf, e))?;
    encoder.finish().map_err(|e| ExportError::write(Format::Pdf, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fonts_cover_latin_greek_and_cyrillic() {
        for style in [Style::Regular, Style::Bold] {
            for c in "Łódź Αθηνά ООО Ромашка İstanbul Gıda ñ ß € – “”".chars()
            {
                assert!(style.font().covers(c), "{style:?} lacks {c:?}");
            }
            assert!(!style.font().covers('漢'), "CJK is not in the subset");
        }
    }

    #[test]
    fn widths_come_from_the_font() {
        let font = Style::Regular.font();
        // DejaVu Sans: digits are 636 units of 1000 (1303 of 2048).
        assert!((font.width("0", 10.0) - 6.362).abs() < 0.01, "{}", font.width("0", 10.0));
        assert!(font.width("WWW", 10.0) > font.width("iii", 10.0));
        assert!(Style::Bold.font().width("Total", 10.0) > font.width("Total", 10.0));
    }

    #[test]
    fn text_is_encoded_as_the_subsets_glyphs() {
        let mut set = GlyphSet::default();
        set.add(Style::Regular.font(), "Αθηνά");
        set.add(Style::Regular.font(), "ΑΑ");
        let embedded = Embedded::new(Style::Regular, set);
        // Five distinct glyphs, numbered from 1 (0 is .notdef), two bytes each.
        let codes = embedded.encode("Αθηνά");
        assert_eq!(codes.len(), 10);
        let mut ids: Vec<u16> = codes.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 5);
        assert!(ids.iter().all(|id| (1..=5).contains(id)), "{ids:?}");
        // A character not in the document has no glyph in its subset.
        assert_eq!(embedded.encode("Z"), vec![0, 0]);
    }
}
