//! Recorded audio we play to callers: prompts and music on hold.
//!
//! Key types: [`Prompt`] (8 kHz mono 16-bit audio, shared between calls),
//! [`Player`] (a playlist cut into 20 ms frames, once or looping),
//! [`PromptError`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;

use crate::media::FRAME_SAMPLES;

/// Why a prompt file cannot be used.
#[derive(Debug, Error)]
pub enum PromptError {
    /// The file is missing or not a WAV file.
    #[error("cannot read prompt {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the WAV reader said.
        source: hound::Error,
    },
    /// The file is not 8 kHz mono 16-bit PCM.
    #[error(
        "prompt {path} is {rate} Hz, {channels} channel(s), {bits}-bit; prompts must be 8000 Hz mono 16-bit PCM (scripts/prompts makes them)"
    )]
    Format {
        /// The file.
        path: PathBuf,
        /// Its sample rate.
        rate: u32,
        /// Its channels.
        channels: u16,
        /// Its bits per sample.
        bits: u16,
    },
}

/// Audio to play: 8 kHz linear samples, cheap to clone.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    samples: Arc<[i16]>,
}

impl Prompt {
    /// Loads a WAV file (8000 Hz, mono, 16-bit PCM).
    pub fn load(path: &Path) -> Result<Self, PromptError> {
        let read_error = |source| PromptError::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut reader = hound::WavReader::open(path).map_err(read_error)?;
        let spec = reader.spec();
        if spec.sample_rate != 8000
            || spec.channels != 1
            || spec.bits_per_sample != 16
            || spec.sample_format != hound::SampleFormat::Int
        {
            return Err(PromptError::Format {
                path: path.to_path_buf(),
                rate: spec.sample_rate,
                channels: spec.channels,
                bits: spec.bits_per_sample,
            });
        }
        let samples = reader
            .samples::<i16>()
            .collect::<Result<Vec<i16>, _>>()
            .map_err(read_error)?;
        Ok(Prompt::from_samples(samples))
    }

    /// Audio from samples.
    pub fn from_samples(samples: Vec<i16>) -> Self {
        Prompt {
            samples: samples.into(),
        }
    }

    /// Its length in samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether it holds no audio.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

/// Plays prompts one after the other, 20 ms at a time.
#[derive(Debug, Clone, Default)]
pub struct Player {
    playlist: Vec<Prompt>,
    /// Index of the prompt playing and the next sample in it.
    current: usize,
    offset: usize,
    looping: bool,
}

impl Player {
    /// Plays `playlist` once.
    pub fn once(playlist: Vec<Prompt>) -> Self {
        Player {
            playlist,
            current: 0,
            offset: 0,
            looping: false,
        }
    }

    /// Plays `playlist` over and over (music on hold).
    pub fn looping(playlist: Vec<Prompt>) -> Self {
        // Looping over silence of no length would never yield a frame.
        if playlist.iter().all(Prompt::is_empty) {
            return Player::default();
        }
        Player {
            playlist,
            current: 0,
            offset: 0,
            looping: true,
        }
    }

    /// Whether everything has been played (never, when looping).
    pub fn finished(&self) -> bool {
        !self.looping && self.current >= self.playlist.len()
    }

    /// The next 20 ms: `FRAME_SAMPLES` samples, the end of the last prompt
    /// padded with silence. `None` once finished.
    pub fn next_frame(&mut self, frame: &mut Vec<i16>) -> Option<()> {
        if self.finished() {
            return None;
        }
        frame.clear();
        while frame.len() < FRAME_SAMPLES {
            let Some(prompt) = self.playlist.get(self.current) else {
                if self.looping {
                    self.current = 0;
                    continue;
                }
                break;
            };
            let take = (FRAME_SAMPLES - frame.len()).min(prompt.samples.len() - self.offset);
            frame.extend_from_slice(&prompt.samples[self.offset..self.offset + take]);
            self.offset += take;
            if self.offset == prompt.samples.len() {
                self.current += 1;
                self.offset = 0;
            }
        }
        frame.resize(FRAME_SAMPLES, 0);
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_playlist_is_cut_into_frames_and_padded_at_the_end() {
        let mut player = Player::once(vec![
            Prompt::from_samples(vec![1; 100]),
            Prompt::from_samples(vec![2; 100]),
        ]);
        let mut frame = Vec::new();
        player.next_frame(&mut frame).unwrap();
        assert_eq!((frame[99], frame[100], frame[159]), (1, 2, 2));
        player.next_frame(&mut frame).unwrap();
        assert_eq!((frame[39], frame[40], frame.len()), (2, 0, 160));
        assert!(player.finished());
        assert!(player.next_frame(&mut frame).is_none());
    }

    #[test]
    fn music_loops_and_an_empty_loop_ends() {
        let mut player = Player::looping(vec![Prompt::from_samples(vec![3; 50])]);
        let mut frame = Vec::new();
        for _ in 0..10 {
            player.next_frame(&mut frame).unwrap();
            assert!(frame.iter().all(|&sample| sample == 3));
        }
        assert!(Player::looping(vec![Prompt::from_samples(Vec::new())]).finished());
    }

    #[test]
    fn a_wrong_format_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hello.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 22050,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        hound::WavWriter::create(&path, spec)
            .unwrap()
            .finalize()
            .unwrap();
        let error = Prompt::load(&path).unwrap_err().to_string();
        assert!(
            error.contains("22050 Hz") && error.contains("hello.wav"),
            "{error}"
        );
        let missing = Prompt::load(&dir.path().join("missing.wav"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("missing.wav"), "{missing}");
    }
}
