//! The background jobs that use ESM-2 and the tagger: embedding, training and prediction, on the
//! compute device the Training panel chose.

use std::sync::mpsc::channel;

use super::{NesbindApp, PredictTarget};
use crate::app::jobs::Job;
use crate::app::training::{
    embed_job, peptides_from_documents, predict_sequences, predict_with_checkpoint, train_job,
};

impl NesbindApp {
    /// The burn device for the Training panel's choice: the window's own GPU (shared), or the CPU.
    /// `auto` takes the GPU only when it is real hardware (a software rasteriser is slower than flex).
    pub fn compute_device(&mut self) -> Result<crate::compute::ComputeDevice, String> {
        use crate::compute::{ComputeDevice, DeviceChoice, cpu_device};
        let want_gpu = match self.state.train.device {
            DeviceChoice::Cpu => false,
            DeviceChoice::Gpu => true,
            DeviceChoice::Auto => {
                crate::compute::GPU_BUILT
                    && self.render_state.as_ref().is_some_and(|rs| {
                        rs.adapter.get_info().device_type != wgpu::DeviceType::Cpu
                    })
            }
        };
        if !want_gpu {
            return Ok(cpu_device());
        }
        let Some(rs) = self.render_state.as_ref() else {
            return Err("no GPU adapter: choose CPU".into());
        };
        let device = self
            .shared_gpu
            .get_or_insert_with(|| crate::app::gpu::shared_burn_device(rs))
            .clone()?;
        Ok(ComputeDevice {
            device,
            description: format!(
                "GPU shared with the view: {}",
                self.adapter.clone().unwrap_or_default()
            ),
            is_gpu: true,
            note: None,
        })
    }

    /// [`Self::compute_device`] for a job about to start; a failure goes to the log instead.
    pub(crate) fn job_device(&mut self) -> Option<crate::compute::ComputeDevice> {
        match self.compute_device() {
            Ok(d) => Some(d),
            Err(e) => {
                self.log.error(e);
                None
            }
        }
    }

    /// Trains a tagger on the labelled peptides of the open complexes, in the background.
    pub fn start_training(&mut self) {
        if self.train_job.is_some() {
            return;
        }
        let Some(device) = self.job_device() else {
            return;
        };
        let peptides = peptides_from_documents(&self.docs);
        let settings = self.state.train.clone();
        let (tx, rx) = channel();
        self.history.clear();
        self.epoch_rx = Some(rx);
        let extra = if settings.nesdb_patterns {
            " + NESdb pattern-labelled NESs"
        } else {
            ""
        };
        self.log.info(format!(
            "training on {} peptides of the open complexes{extra}",
            peptides.len()
        ));
        self.train_job = Some(Job::spawn(&self.ctx, "Training", move |jc| {
            train_job(peptides, settings, device, tx, jc)
        }));
    }

    /// Embeds the open complexes' peptides with ESM-2 (Embedding panel), in the background.
    pub fn start_embedding(&mut self) {
        if self.embed_job.is_some() {
            return;
        }
        let Some(device) = self.job_device() else {
            return;
        };
        let peptides = peptides_from_documents(&self.docs);
        let settings = self.state.train.clone();
        self.embed_job = Some(Job::spawn(&self.ctx, "Embedding", move |jc| {
            embed_job(peptides, settings, device, jc)
        }));
    }

    pub fn cancel_training(&mut self) {
        if let Some(job) = &self.train_job {
            job.cancel();
        }
    }

    /// Predicts the active complex's peptide (`None`) or a typed sequence with the trained model.
    pub fn start_prediction(&mut self, sequence: Option<String>) {
        match sequence {
            Some(s) => self.predict(Some(s), Vec::new()),
            None => match self.state.active {
                Some(a) => self.predict(None, vec![a]),
                None => self.log.warn("no labelled peptide in the active file"),
            },
        }
    }

    /// Predicts the peptide of every open complex (the folder browser's "Predict all").
    pub fn start_prediction_all(&mut self) {
        let all: Vec<usize> = (0..self.docs.len())
            .filter(|&i| !self.docs[i].labels.is_empty())
            .collect();
        if all.is_empty() {
            self.log.warn("no labelled peptides are open");
            return;
        }
        self.predict(None, all);
    }

    fn predict(&mut self, typed: Option<String>, documents: Vec<usize>) {
        if self.predict_job.is_some() {
            return;
        }
        let sequence = typed;
        let model = self.model.clone();
        // Without a model trained in this session, the bundled checkpoint predicts (on the chosen device).
        let device = if model.is_some() {
            None
        } else {
            let Some(device) = self.job_device() else {
                return;
            };
            Some(device)
        };
        let settings = self.state.train.clone();
        let (target, seqs) = match sequence {
            Some(s) => match crate::embed::clean_sequence(&s) {
                Ok(s) if s.len() > crate::scan::ESM_MAX_RESIDUES => {
                    self.log.error(format!(
                        "typed peptide: {} residues is a whole protein, not an NES peptide; scan it in the Protein panel",
                        s.len()
                    ));
                    return;
                }
                Ok(s) => (PredictTarget::Typed, vec![s]),
                Err(e) => {
                    self.log.error(format!("typed peptide: {e}"));
                    return;
                }
            },
            None => {
                let docs: Vec<(usize, &super::Document)> = documents
                    .iter()
                    .filter_map(|&i| Some((i, self.docs.get(i)?)))
                    .filter(|(_, d)| !d.labels.is_empty())
                    .collect();
                if docs.is_empty() {
                    self.log.warn("no labelled peptide in the active file");
                    return;
                }
                let seqs = docs
                    .iter()
                    .map(|(_, d)| d.labels.iter().map(|l| l.code).collect())
                    .collect();
                let targets = docs
                    .iter()
                    .map(|(i, d)| (*i, d.file.path.clone()))
                    .collect();
                (PredictTarget::Documents(targets), seqs)
            }
        };
        let title = match &target {
            PredictTarget::Documents(t) if t.len() > 1 => {
                format!("Predicting {} peptides", t.len())
            }
            _ => "Predicting".to_string(),
        };
        self.predict_job = Some(Job::spawn(&self.ctx, title, move |jc| {
            let out = match (&model, device) {
                (Some(m), _) => predict_sequences(m, &seqs, jc)?,
                (None, Some(dev)) => predict_with_checkpoint(None, &settings, dev, &seqs, jc)?,
                (None, None) => anyhow::bail!("no model to predict with"),
            };
            Ok((target, out))
        }));
    }
}
