//! Call recording: both legs into one stereo WAV file.
//!
//! Key types: [`Recorder`] (left channel the caller, right channel the
//! agent; pausable), [`RecordingError`].
//!
//! Packets do not arrive exactly every 20 ms, so each channel keeps a short
//! queue of received frames and the call's 20 ms clock takes one frame from
//! each per tick (silence when a queue is empty). The two channels stay
//! aligned with each other and with wall time; a burst of up to
//! [`MAX_QUEUED`] frames is absorbed, a longer one loses its oldest frames.
//! While paused (a card number is being read out) silence is written, so the
//! timeline stays true and nothing said is kept.

use std::collections::VecDeque;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::media::FRAME_SAMPLES;

/// Frames a channel may hold before its oldest are dropped (100 ms).
pub const MAX_QUEUED: usize = 5;

/// Why a recording failed.
#[derive(Debug, Error)]
#[error("recording {path}: {source}")]
pub struct RecordingError {
    /// The file.
    pub path: PathBuf,
    /// What the WAV writer said.
    pub source: hound::Error,
}

/// Which side of the call a frame is from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The caller (left).
    Caller,
    /// The agent (right).
    Agent,
}

/// A stereo 8 kHz 16-bit WAV file being written.
pub struct Recorder {
    path: PathBuf,
    writer: hound::WavWriter<BufWriter<File>>,
    queues: [VecDeque<[i16; FRAME_SAMPLES]>; 2],
    paused: bool,
    frames: u64,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .field("paused", &self.paused)
            .field("frames", &self.frames)
            .finish()
    }
}

impl Recorder {
    /// Creates the file (its directory must exist).
    pub fn create(path: &Path) -> Result<Self, RecordingError> {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let writer = hound::WavWriter::create(path, spec).map_err(|source| RecordingError {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Recorder {
            path: path.to_path_buf(),
            writer,
            queues: [VecDeque::new(), VecDeque::new()],
            paused: false,
            frames: 0,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether recording is paused.
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Pauses or resumes.
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    /// Seconds written so far.
    pub fn seconds(&self) -> f64 {
        self.frames as f64 * FRAME_SAMPLES as f64 / 8000.0
    }

    /// Queues 20 ms heard on `channel` (shorter frames are padded with
    /// silence, longer ones cut).
    pub fn push(&mut self, channel: Channel, samples: &[i16]) {
        let mut frame = [0i16; FRAME_SAMPLES];
        let take = samples.len().min(FRAME_SAMPLES);
        frame[..take].copy_from_slice(&samples[..take]);
        let queue = &mut self.queues[channel as usize];
        if queue.len() == MAX_QUEUED {
            queue.pop_front();
        }
        queue.push_back(frame);
    }

    /// Writes the next 20 ms of both channels.
    pub fn tick(&mut self) -> Result<(), RecordingError> {
        let silence = [0i16; FRAME_SAMPLES];
        let caller = self.queues[0].pop_front();
        let agent = self.queues[1].pop_front();
        let (left, right) = if self.paused {
            (&silence, &silence)
        } else {
            (
                caller.as_ref().unwrap_or(&silence),
                agent.as_ref().unwrap_or(&silence),
            )
        };
        let mut samples = self.writer.get_i16_writer(2 * FRAME_SAMPLES as u32);
        for (l, r) in left.iter().zip(right) {
            samples.write_sample(*l);
            samples.write_sample(*r);
        }
        samples.flush().map_err(|source| RecordingError {
            path: self.path.clone(),
            source,
        })?;
        self.frames += 1;
        Ok(())
    }

    /// Completes the file's header and closes it.
    pub fn finish(self) -> Result<PathBuf, RecordingError> {
        let path = self.path;
        self.writer.finalize().map_err(|source| RecordingError {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_stay_aligned_and_a_pause_writes_silence() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("call.wav");
        let mut recorder = Recorder::create(&path).unwrap();
        // Tick 1: both sides spoke. Tick 2: two caller frames arrived at
        // once, none from the agent. Tick 3: the late caller frame plays.
        recorder.push(Channel::Caller, &[100; FRAME_SAMPLES]);
        recorder.push(Channel::Agent, &[-100; FRAME_SAMPLES]);
        recorder.tick().unwrap();
        recorder.push(Channel::Caller, &[200; FRAME_SAMPLES]);
        recorder.push(Channel::Caller, &[300; FRAME_SAMPLES]);
        recorder.tick().unwrap();
        recorder.tick().unwrap();
        // Tick 4: paused; what was said is not kept.
        recorder.set_paused(true);
        recorder.push(Channel::Caller, &[400; FRAME_SAMPLES]);
        recorder.tick().unwrap();
        assert_eq!(recorder.seconds(), 0.08);
        recorder.finish().unwrap();

        let mut reader = hound::WavReader::open(&path).unwrap();
        assert_eq!(reader.spec().channels, 2);
        let samples: Vec<i16> = reader.samples::<i16>().map(Result::unwrap).collect();
        assert_eq!(samples.len(), 4 * 2 * FRAME_SAMPLES);
        let at = |tick: usize, right: usize| samples[tick * 2 * FRAME_SAMPLES + right];
        assert_eq!((at(0, 0), at(0, 1)), (100, -100));
        assert_eq!((at(1, 0), at(1, 1)), (200, 0));
        assert_eq!((at(2, 0), at(2, 1)), (300, 0));
        assert_eq!((at(3, 0), at(3, 1)), (0, 0));
    }

    #[test]
    fn a_burst_longer_than_the_queue_drops_its_oldest_frames() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("burst.wav");
        let mut recorder = Recorder::create(&path).unwrap();
        for value in 1..=(MAX_QUEUED as i16 + 2) {
            recorder.push(Channel::Agent, &[value; FRAME_SAMPLES]);
        }
        recorder.tick().unwrap();
        recorder.finish().unwrap();
        let mut reader = hound::WavReader::open(&path).unwrap();
        let second: i16 = reader.samples::<i16>().nth(1).unwrap().unwrap();
        assert_eq!(second, 3, "frames 1 and 2 were dropped");
    }

    #[test]
    fn an_unwritable_path_is_named() {
        let error = Recorder::create(Path::new("/nonexistent/dir/call.wav")).unwrap_err();
        assert!(error.to_string().contains("/nonexistent/dir/call.wav"));
    }
}
