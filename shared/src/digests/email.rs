//! A digest as an email: an HTML part with the digest's tiles and tables,
//! a plain-text part with the same figures, and the PDF attached (or, over
//! [`MAX_ATTACHMENT_BYTES`], a presigned link to it). Every message names
//! one recipient, carries RFC 8058's one-click `List-Unsubscribe` headers
//! for that recipient, and names its tenant (`X-Sales-Tenant`) so that a
//! bounce finds it. Pure: SES sends the bytes (`super::deliver`).

use chrono::{DateTime, Utc};
use mail_builder::MessageBuilder;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::url::URL;

use super::content::DigestContent;
use super::feedback::TENANT_HEADER;
use crate::exports::table::Cell;

/// The largest PDF sent as an attachment; a larger one goes as a link (SES
/// takes messages of 10 MB with their base64 encoding).
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;

/// Who a message is from and to, and where its links point.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub tenant: &'a str,
    /// The recipient's one-click unsubscribe link.
    pub unsubscribe: &'a str,
    /// Unique per message (`<id@host>` without the brackets).
    pub message_id: String,
    pub date: DateTime<Utc>,
}

/// The PDF in the message, or a link to it.
#[derive(Debug, Clone, Copy)]
pub enum Attachment<'a> {
    Pdf,
    Link { url: &'a str, expires: DateTime<Utc> },
}

/// `<`, `>`, `&` and quotes escaped for HTML text and attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Money(m) => crate::exports::pdf_report::amount(*m),
        other => other.display(),
    }
}

fn stamp(content: &DigestContent) -> String {
    let through = content
        .data_through
        .map_or_else(|| "no data yet".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    format!(
        "Covers {} · {} · {} · data through {through}",
        content.covers, content.currency, content.time_zone
    )
}

/// The HTML part: a header, the tiles three to a row, the tables, the
/// attachment's note and the unsubscribe link. Styles are inline (mail
/// clients drop style sheets); each tile's value is written as the API
/// writes it.
pub fn html(content: &DigestContent, attachment: Attachment<'_>, unsubscribe: &str) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>");
    h.push_str(&escape(&content.title));
    h.push_str("</title></head><body style=\"margin:0;padding:24px;background:#f4f5f7;font-family:Helvetica,Arial,sans-serif;color:#1f2933\">");
    h.push_str("<table role=\"presentation\" width=\"100%\" style=\"max-width:720px;margin:0 auto;background:#ffffff;border-radius:6px;padding:24px\"><tr><td>");
    h.push_str(&format!(
        "<h1 style=\"font-size:20px;margin:0 0 4px\">{}</h1><p style=\"font-size:12px;color:#616e7c;margin:0 0 20px\">{}</p>",
        escape(&content.title),
        escape(&stamp(content))
    ));
    h.push_str("<table role=\"presentation\" width=\"100%\" cellspacing=\"8\">");
    for row in content.figures.chunks(3) {
        h.push_str("<tr>");
        for f in row {
            // The value on a line of its own: short enough for any
            // transfer encoding to keep it whole in the raw message.
            h.push_str(&format!(
                "<td class=\"tile\" data-field=\"{}\" style=\"width:33%;background:#f0f4f8;border-radius:4px;padding:12px;vertical-align:top\">\n\
                 <div style=\"font-size:12px;color:#52606d\">{}</div>\n\
                 <div class=\"value\" style=\"font-size:20px;font-weight:bold;margin-top:4px\">\n{}\n</div></td>\n",
                escape(f.field),
                escape(f.label),
                escape(&f.text(&content.currency)),
            ));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>");
    for section in &content.sections {
        if let Some(heading) = &section.heading {
            h.push_str(&format!(
                "<h2 style=\"font-size:15px;margin:20px 0 6px\">{}</h2>",
                escape(heading)
            ));
        }
        h.push_str("<table width=\"100%\" style=\"border-collapse:collapse;font-size:12px\"><tr>");
        for c in &section.columns {
            h.push_str(&format!(
                "<th style=\"text-align:left;border-bottom:1px solid #cbd2d9;padding:4px\">{}</th>",
                escape(c.header)
            ));
        }
        h.push_str("</tr>");
        for row in &section.rows {
            h.push_str("<tr>");
            for cell in row {
                let align = if matches!(cell, Cell::Money(_)) { "right" } else { "left" };
                h.push_str(&format!(
                    "<td style=\"text-align:{align};border-bottom:1px solid #eef0f2;padding:4px\">{}</td>",
                    escape(&cell_text(cell))
                ));
            }
            h.push_str("</tr>");
        }
        h.push_str("</table>");
        if let Some(note) = &section.note {
            h.push_str(&format!("<p style=\"font-size:12px;color:#616e7c\">{}</p>", escape(note)));
        }
    }
    let attached = match attachment {
        Attachment::Pdf => format!("The full report is attached ({}).", escape(&content.pdf_name)),
        Attachment::Link { url, expires } => format!(
            "<a href=\"{}\">Download the full report</a> (the link works until {}).",
            escape(url),
            expires.format("%Y-%m-%d %H:%M UTC")
        ),
    };
    h.push_str(&format!("<p style=\"font-size:13px;margin-top:20px\">{attached}</p>"));
    h.push_str(&format!(
        "<p style=\"font-size:11px;color:#7b8794;margin-top:24px\">You receive this digest because your team subscribed you. \
         <a href=\"{}\">Unsubscribe</a></p>",
        escape(unsubscribe)
    ));
    h.push_str("</td></tr></table></body></html>");
    h
}

/// The plain-text part: the same figures, one per line, and the links.
pub fn text(content: &DigestContent, attachment: Attachment<'_>, unsubscribe: &str) -> String {
    let mut t = format!("{}\n{}\n\n", content.title, stamp(content));
    for f in &content.figures {
        t.push_str(&format!("{}: {}\n", f.label, f.text(&content.currency)));
    }
    for section in &content.sections {
        t.push('\n');
        if let Some(heading) = &section.heading {
            t.push_str(&format!("{heading}\n"));
        }
        for row in &section.rows {
            let cells: Vec<String> = row.iter().map(cell_text).collect();
            t.push_str(&format!("  {}\n", cells.join(" | ")));
        }
        if let Some(note) = &section.note {
            t.push_str(&format!("  {note}\n"));
        }
    }
    match attachment {
        Attachment::Pdf => {
            t.push_str(&format!("\nThe full report is attached ({}).\n", content.pdf_name))
        }
        Attachment::Link { url, .. } => t.push_str(&format!("\nThe full report: {url}\n")),
    }
    t.push_str(&format!("\nUnsubscribe: {unsubscribe}\n"));
    t
}

/// The whole MIME message.
pub fn message(
    content: &DigestContent,
    envelope: &Envelope<'_>,
    attachment: Attachment<'_>,
) -> std::io::Result<Vec<u8>> {
    let mut builder = MessageBuilder::new()
        .from(envelope.from)
        .to(envelope.to)
        .subject(content.title.as_str())
        .message_id(MessageId::new(envelope.message_id.as_str()))
        .date(envelope.date.timestamp())
        .header("List-Unsubscribe", URL::new(envelope.unsubscribe))
        .header("List-Unsubscribe-Post", Raw::new("List-Unsubscribe=One-Click"))
        .header(TENANT_HEADER, Raw::new(envelope.tenant))
        .text_body(text(content, attachment, envelope.unsubscribe))
        .html_body(html(content, attachment, envelope.unsubscribe));
    if let Attachment::Pdf = attachment {
        builder = builder.attachment(
            "application/pdf",
            content.pdf_name.as_str(),
            content.pdf.as_slice(),
        );
    }
    builder.write_to_vec()
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;
    use crate::digests::content::Figure;
    use crate::digests::subscription::Digest;
    use crate::exports::pdf_report::Section;
    use crate::exports::table::{Column, Kind};
    use crate::reports::management::tiles::Unit;

    fn content() -> DigestContent {
        DigestContent {
            digest: Digest::AgingWeekly,
            title: "Receivables aging at 2026-03-09".into(),
            covers: "as of 2026-03-09".into(),
            currency: "EUR".into(),
            time_zone: "Europe/Paris".into(),
            data_through: None,
            figures: vec![Figure {
                label: "Total outstanding",
                field: "summary.total_outstanding",
                value: dec!(1234567.5),
                unit: Unit::Money,
            }],
            sections: vec![Section {
                heading: Some("Largest balances".into()),
                columns: vec![Column { header: "Customer", kind: Kind::Text, width: 10.0 }],
                rows: vec![vec![Cell::Text("<Acme & Sons>".into())]],
                note: None,
            }],
            pdf: b"%PDF-1.7 test".to_vec(),
            pdf_name: "aging-weekly-2026-03-09.pdf".into(),
        }
    }

    #[test]
    fn a_message_has_both_parts_the_pdf_and_the_one_click_headers() {
        let envelope = Envelope {
            from: "digests@example.com",
            to: "cfo@example.com",
            tenant: "acme",
            unsubscribe: "https://api.example.com/api/v1/sales/unsubscribe?token=abc",
            message_id: "digest-1@sales-analytics".into(),
            date: "2026-03-09T08:00:00Z".parse().unwrap(),
        };
        let raw =
            String::from_utf8(message(&content(), &envelope, Attachment::Pdf).unwrap()).unwrap();
        assert!(raw.contains(
            "List-Unsubscribe: <https://api.example.com/api/v1/sales/unsubscribe?token=abc>"
        ));
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains("X-Sales-Tenant: acme"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("application/pdf"));
        assert!(raw.contains("aging-weekly-2026-03-09.pdf"));
        let html = html(&content(), Attachment::Pdf, envelope.unsubscribe);
        assert!(html.contains("1234567.50 EUR"), "the API's figure as written");
        // Whole in the raw message too, whatever the parts' encoding.
        assert!(raw.contains("\r\n1234567.50 EUR\r\n"), "{raw}");
        assert!(html.contains("&lt;Acme &amp; Sons&gt;"), "names escaped");
        let linked = Attachment::Link { url: "https://s3/x.pdf?sig", expires: envelope.date };
        let without = String::from_utf8(message(&content(), &envelope, linked).unwrap()).unwrap();
        assert!(!without.contains("application/pdf"));
        assert!(text(&content(), linked, "u").contains("The full report: https://s3/x.pdf?sig"));
    }
}
