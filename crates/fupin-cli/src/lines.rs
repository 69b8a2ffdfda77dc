//! The lines of a JSON Lines input, read in blocks.
//!
//! A line is a range of the block it was read with, so reading one neither allocates nor
//! copies: the lines of a block share it, and it is freed with the last of them (after the
//! worker that parses it is done). Reading line by line into a vector of its own cost the
//! reader thread an allocation and a copy per household, into memory the workers had just
//! freed on the other core (benches/README.md, "Reading JSON Lines in blocks").

use std::io::{self, Read};
use std::ops::{Deref, Range};
use std::sync::Arc;

/// Bytes read at a time: about 40 of the generator's households (a size the allocator keeps
/// in its pages and hands out again).
const BLOCK: usize = 64 << 10;

/// One line, without its line end.
pub struct Line {
    block: Arc<Vec<u8>>,
    range: Range<usize>,
}

impl Line {
    /// Drops the first `n` bytes (a byte-order mark).
    pub fn skip(&mut self, n: usize) {
        self.range.start = (self.range.start + n).min(self.range.end);
    }

    /// Drops every `byte` at the end (the `\r` of a `\r\n` line end).
    pub fn trim_end(&mut self, byte: u8) {
        while self.range.end > self.range.start && self.block[self.range.end - 1] == byte {
            self.range.end -= 1;
        }
    }
}

impl Deref for Line {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.block[self.range.clone()]
    }
}

impl From<Vec<u8>> for Line {
    fn from(bytes: Vec<u8>) -> Line {
        let range = 0..bytes.len();
        Line { block: Arc::new(bytes), range }
    }
}

/// The lines of a reader.
pub struct Lines {
    reader: Box<dyn Read + Send>,
    block: Arc<Vec<u8>>,
    /// Where the next line starts in `block`.
    pos: usize,
    /// The reader has nothing more.
    eof: bool,
    /// Bytes to read for each new block.
    size: usize,
    /// Blocks read so far.
    #[cfg(test)]
    refills: usize,
}

impl Lines {
    /// The lines of `reader`.
    pub fn new(reader: Box<dyn Read + Send>) -> Lines {
        Lines::with_block_size(reader, BLOCK)
    }

    fn with_block_size(reader: Box<dyn Read + Send>, size: usize) -> Lines {
        Lines {
            reader,
            block: Arc::new(Vec::new()),
            pos: 0,
            eof: false,
            size: size.max(1),
            #[cfg(test)]
            refills: 0,
        }
    }

    /// The next line without its `\n` (the last line may have none); `None` at the end.
    pub fn next_line(&mut self) -> Option<io::Result<Line>> {
        loop {
            let rest = &self.block[self.pos..];
            if let Some(len) = memchr::memchr(b'\n', rest) {
                return Some(Ok(self.take(len, len + 1)));
            }
            if self.eof {
                let len = rest.len();
                return (len > 0).then(|| Ok(self.take(len, len)));
            }
            if let Err(e) = self.refill() {
                self.eof = true;
                self.pos = self.block.len();
                return Some(Err(e));
            }
        }
    }

    /// The next `len` bytes as a line; the next line starts `step` bytes on.
    fn take(&mut self, len: usize, step: usize) -> Line {
        let start = self.pos;
        self.pos += step;
        Line { block: Arc::clone(&self.block), range: start..start + len }
    }

    /// A new block: the unfinished line at the end of the last one, then up to a block's
    /// size more, or as much as that line when it is longer (so a line longer than a block,
    /// such as a whole JSON array on one line, is read in blocks that double, each byte
    /// copied a few times at most).
    fn refill(&mut self) -> io::Result<()> {
        let rest = &self.block[self.pos..];
        let want = self.size.max(rest.len());
        let mut next = Vec::with_capacity(rest.len() + want);
        next.extend_from_slice(rest);
        let read = (&mut self.reader).take(want as u64).read_to_end(&mut next)?;
        // `take(n).read_to_end` stops short of `n` only at the end of the input.
        self.eof = read < want;
        self.block = Arc::new(next);
        self.pos = 0;
        #[cfg(test)]
        {
            self.refills += 1;
        }
        Ok(())
    }

    /// Everything not read as lines yet, in one buffer (an input that turns out to be one
    /// JSON document).
    pub fn rest(mut self) -> io::Result<Vec<u8>> {
        let mut all = self.block[self.pos..].to_vec();
        if !self.eof {
            self.reader.read_to_end(&mut all)?;
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that gives at most `n` bytes per call, as a pipe may.
    struct Trickle(std::io::Cursor<Vec<u8>>, usize);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.1);
            self.0.read(&mut buf[..n])
        }
    }

    fn lines(text: &[u8], block: usize, trickle: usize) -> Vec<Vec<u8>> {
        let mut lines = Lines::with_block_size(Box::new(Trickle(std::io::Cursor::new(text.to_vec()), trickle)), block);
        std::iter::from_fn(|| lines.next_line()).map(|l| l.unwrap().to_vec()).collect()
    }

    /// Every block size and read size gives the lines `split` gives: lines across blocks,
    /// lines longer than a block, empty lines, `\r\n`, and a last line with and without `\n`.
    #[test]
    fn blocks_of_any_size_give_the_lines_split_gives() {
        let long = "x".repeat(40);
        let texts = [
            format!("{{\"a\":1}}\n\n{long}\r\n  \nend"),
            format!("{{\"a\":1}}\n{long}\n\n"),
            "\n\n\n".to_string(),
            "one line, no end".to_string(),
            String::new(),
            "户编号\n示范嘎查\r\n".to_string(),
        ];
        for text in &texts {
            let mut expected: Vec<Vec<u8>> = text.as_bytes().split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
            // A final `\n` ends the last line rather than starting an empty one.
            if expected.last().is_some_and(Vec::is_empty) {
                expected.pop();
            }
            for block in [1, 2, 3, 7, 16, 64, BLOCK] {
                for trickle in [1, 5, usize::MAX] {
                    assert_eq!(lines(text.as_bytes(), block, trickle), expected, "{text:?}, blocks of {block}, reads of {trickle}");
                }
            }
        }
    }

    /// What is left after some lines is the rest of the input, whatever the block size.
    #[test]
    fn the_rest_is_what_follows_the_lines_read() {
        let text = b"[\n{\"id\": \"a\"},\n{\"id\": \"b\"}\n]\n";
        for block in [1, 4, 9, BLOCK] {
            let mut lines = Lines::with_block_size(Box::new(std::io::Cursor::new(text.to_vec())), block);
            assert_eq!(&*lines.next_line().unwrap().unwrap(), b"[");
            assert_eq!(lines.rest().unwrap(), &text[2..], "blocks of {block}");
        }
    }

    /// A line far longer than a block is read in blocks that double: a few dozen reads for
    /// a megabyte in blocks of 16 bytes, not one per block.
    #[test]
    fn a_long_line_is_read_in_doubling_blocks() {
        let mut text = vec![b'x'; 1 << 20];
        text.extend_from_slice(b"\nshort\n");
        let mut lines = Lines::with_block_size(Box::new(std::io::Cursor::new(text)), 16);
        assert_eq!(lines.next_line().unwrap().unwrap().len(), 1 << 20);
        assert_eq!(&*lines.next_line().unwrap().unwrap(), b"short");
        assert!(lines.next_line().is_none());
        assert!(lines.refills <= 24, "{} reads", lines.refills);
    }

    #[test]
    fn a_line_trims_and_skips_within_itself() {
        let mut line = Line::from(b"\xEF\xBB\xBF{}\r\r".to_vec());
        line.trim_end(b'\r');
        line.skip(3);
        assert_eq!(&*line, b"{}");
        line.skip(10);
        line.trim_end(b'}');
        assert!(line.is_empty());
    }
}
