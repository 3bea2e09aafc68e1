//! What a capacity sweep (`sweep.rs`) and a peak-configuration run (`peak.rs`) share
//! around their own loops: a run folder for the native generator opened (the contract
//! gate, the folder, its images, no container of the run left from before, a session
//! to measure with) and closed (the run's containers removed, the folder finished).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use tokio::sync::watch;

use super::config::{Loadgen, Start, target_host};
use super::event::{Event, Observer};
use super::repetition::Session;
use super::{contract, preflight, spawn_signal_watch};
use crate::campaign::{Campaign, PathChoice};
use crate::docker;
use crate::manifest::now_rfc3339;
use crate::netns::PathUsed;
use crate::rundir::RunDir;

/// Where and how a sweep or a peak run measures: the part their configurations share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeTarget {
    /// The run folder [default: data/runs/<UTC timestamp>-<host>].
    pub out: Option<PathBuf>,
    /// How the load reaches the server [default: the campaign's `[loadgen] path`].
    pub path: Option<PathChoice>,
    /// Host address Docker publishes the server's port on (published-port path only).
    pub publish_ip: String,
    /// Address the generator sends load to on the published-port path.
    pub target_host: Option<String>,
    /// Measure without checking the API contract first (recorded in the manifest).
    pub skip_contract: bool,
}

/// An opened run folder and the session that measures in it (its engine, run id,
/// load path, observer and stop signal are the session's).
pub(super) struct NativeRun {
    pub dir: RunDir,
    pub session: Session,
}

/// Open a run folder for `campaign` (as the caller adjusted it). The contract gate
/// comes before the folder, as in `run`: a stack that fails it leaves nothing. `shape`
/// fills in the manifest's run-specific parts (a peak run's rounds) before the images
/// are checked and recorded.
pub(super) async fn open(
    campaign: &Campaign,
    target: &NativeTarget,
    observer: &Arc<dyn Observer>,
    shape: impl FnOnce(&mut RunDir),
) -> Result<NativeRun> {
    let (stop_tx, stop) = watch::channel(false);
    spawn_signal_watch(stop_tx, Arc::clone(observer));
    let engine = docker::connect().await?;
    let engine_version = docker::engine_version(&engine).await?;
    let contract = contract::gate(
        &engine,
        &campaign.stacks,
        target.skip_contract,
        observer.as_ref(),
    )
    .await?;
    let start = Start::New {
        campaign: Box::new(campaign.clone()),
        out: target.out.clone(),
        loadgen: Loadgen::Native,
        path: target.path,
    };
    let mut dir = preflight::new_run(
        &engine,
        engine_version,
        &start,
        campaign,
        target.out.as_deref(),
        Loadgen::Native,
    )
    .await?;
    dir.manifest.contract = Some(contract);
    shape(&mut dir);
    let run_id = preflight::sanitize(&dir.manifest.run_id);
    preflight::check_images(&engine, campaign, &mut dir, &run_id, observer.as_ref()).await?;
    docker::clean(&engine, &docker::run_label(&run_id), false).await?;
    let session = Session {
        docker: engine,
        campaign: campaign.clone(),
        run_id,
        loadgen: Loadgen::Native,
        k6: PathBuf::new(),
        publish_ip: target.publish_ip.clone(),
        target_host: target_host(&target.publish_ip, target.target_host.as_deref()),
        path: PathUsed::recorded(dir.manifest.path.as_ref()),
        live: observer.live(),
        observer: Arc::clone(observer),
        stop,
        profiling: None,
    };
    Ok(NativeRun { dir, session })
}

impl NativeRun {
    /// Whether Ctrl-C / SIGTERM asked the run to stop.
    pub fn stopping(&self) -> bool {
        *self.session.stop.borrow()
    }

    /// Say the run started: `what` names the kind of run after the campaign's name,
    /// `repetitions` what is repeated.
    pub fn announce(&self, what: &str, repetitions: String) {
        let campaign = &self.session.campaign;
        self.session.observer.event(&Event::RunStarted {
            run_id: self.dir.manifest.run_id.clone(),
            dir: self.dir.path.clone(),
            campaign: format!("{} ({what})", campaign.name),
            stacks: campaign.stacks.len(),
            repetitions,
            loadgen: Loadgen::Native.as_str().into(),
            path: self.session.path.as_str().into(),
        });
    }

    /// Remove the run's containers still there, say the run finished, and mark the
    /// folder finished unless it was interrupted (so it can be told apart).
    pub async fn close(&mut self, interrupted: bool) -> Result<()> {
        let (engine, label) = (
            &self.session.docker,
            docker::run_label(&self.session.run_id),
        );
        if !docker::labelled_containers(engine, &label)
            .await?
            .is_empty()
        {
            docker::clean(engine, &label, false).await?;
        }
        self.session.observer.event(&Event::RunFinished);
        if !interrupted {
            self.dir.finish(now_rfc3339())?;
        }
        Ok(())
    }
}
