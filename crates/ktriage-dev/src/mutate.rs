//! Random edits of kubectl list files, for the tests that hold the readers to the general
//! parser on YAML that is almost, but not quite, what kubectl prints.

use crate::generate::Rng;

/// What an edit inserts: the characters and lines a kubectl list's own line rules turn on
/// (item starts, indentation, comments, line breaks, `managedFields`, the list's end, another
/// document) and a few that end a plain scalar.
const PIECES: &[&str] = &[
    "- ",
    "-",
    "\n- ",
    "\n-\n",
    "  ",
    " ",
    "\n",
    "\n\n",
    "\r\n",
    "\r",
    "#",
    "\n#",
    "\t",
    "managedFields:",
    "\n  managedFields:\n  - a: b\n",
    "    managedFields: x\n",
    ": ",
    "|\n",
    "'",
    "\"",
    "é",
    "\u{2028}",
    "kind: List\n",
    "\n---\n",
    "---",
    "items: []\n",
    "a: b\n",
];

/// Edits `text` in one to five places, half of them at a line start (where the list's line
/// rules apply): mostly an insertion of one of [`PIECES`], else a deletion of up to six bytes.
pub fn edit_list(text: &mut String, rng: &mut Rng) {
    for _ in 0..=rng.below(4) {
        let mut at = rng.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        if rng.below(2) == 0 {
            at = text[..at].rfind('\n').map_or(0, |i| i + 1);
        }
        if rng.below(4) == 0 {
            let mut end = (at + 1 + rng.below(6)).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(at..end, "");
        } else {
            text.insert_str(at, PIECES[rng.below(PIECES.len())]);
        }
    }
}
