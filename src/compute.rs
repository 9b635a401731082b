//! Choosing where burn runs: the pure-Rust CPU backend (`flex`) or a wgpu GPU adapter.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
pub enum DeviceChoice {
    Cpu,
    Gpu,
    /// A hardware GPU when there is one, else the CPU.
    #[default]
    Auto,
}

#[derive(Debug, Clone)]
pub struct ComputeDevice {
    pub device: Device,
    /// What the user sees: backend and adapter name.
    pub description: String,
    pub is_gpu: bool,
    /// Why `auto` ended where it did, when that is worth telling.
    pub note: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ComputeError {
    #[error("no GPU adapter found (wgpu found no Vulkan/Metal/DX12/GL device); use --device cpu")]
    NoAdapter,
    #[error("could not initialise the GPU device {adapter}: {message}")]
    Init { adapter: String, message: String },
    #[error(
        "this nesbind was built without GPU support (cargo feature `gpu`; rebuild with default features); use --device cpu"
    )]
    NotBuilt,
}

/// Whether this build has burn's wgpu backend (cargo feature `gpu`, on by default).
pub const GPU_BUILT: bool = cfg!(feature = "gpu");

/// Name, type and backend of the adapter wgpu would pick, if any.
pub fn probe_adapter() -> Option<wgpu::AdapterInfo> {
    // Vulkan/Metal/DX12 only: burn's kernels need them, and probing GL (EGL) makes libwayland print
    // a spurious "XDG_RUNTIME_DIR is invalid" error on machines without a session.
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::PRIMARY,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let options = wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        force_fallback_adapter: false,
        compatible_surface: None,
        apply_limit_buckets: false,
    };
    pollster::block_on(instance.request_adapter(&options))
        .ok()
        .map(|a| a.get_info())
}

pub fn cpu_device() -> ComputeDevice {
    ComputeDevice {
        device: Device::flex(),
        description: "CPU (burn flex)".to_string(),
        is_gpu: false,
        note: None,
    }
}

pub fn select_device(choice: DeviceChoice) -> Result<ComputeDevice, ComputeError> {
    match choice {
        DeviceChoice::Cpu => Ok(cpu_device()),
        DeviceChoice::Gpu => {
            if !GPU_BUILT {
                return Err(ComputeError::NotBuilt);
            }
            let info = probe_adapter().ok_or(ComputeError::NoAdapter)?;
            gpu_device(&info)
        }
        DeviceChoice::Auto if !GPU_BUILT => {
            let mut dev = cpu_device();
            dev.note =
                Some("built without the GPU backend (cargo feature `gpu`); using the CPU".into());
            Ok(dev)
        }
        DeviceChoice::Auto => match probe_adapter() {
            // A software rasteriser (lavapipe, llvmpipe, WARP) is far slower than flex on the same CPU.
            Some(info) if info.device_type != wgpu::DeviceType::Cpu => gpu_device(&info),
            Some(info) => {
                let mut dev = cpu_device();
                dev.note = Some(format!(
                    "only a software GPU adapter was found ({}); using the CPU backend",
                    info.name
                ));
                Ok(dev)
            }
            None => {
                let mut dev = cpu_device();
                dev.note = Some("no GPU adapter found; using the CPU backend".to_string());
                Ok(dev)
            }
        },
    }
}

#[cfg(not(feature = "gpu"))]
fn gpu_device(_info: &wgpu::AdapterInfo) -> Result<ComputeDevice, ComputeError> {
    Err(ComputeError::NotBuilt)
}

#[cfg(feature = "gpu")]
fn gpu_device(info: &wgpu::AdapterInfo) -> Result<ComputeDevice, ComputeError> {
    let device = Device::wgpu_options()
        .init()
        .map_err(|e| ComputeError::Init {
            adapter: info.name.clone(),
            message: e.to_string(),
        })?;
    Ok(ComputeDevice {
        device,
        description: format!(
            "GPU: {} ({:?}, {:?})",
            info.name, info.backend, info.device_type
        ),
        is_gpu: true,
        note: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_is_always_there() {
        let dev = select_device(DeviceChoice::Cpu).unwrap();
        assert!(!dev.is_gpu);
        assert_eq!(dev.description, "CPU (burn flex)");
    }

    /// A CPU-only build (`--no-default-features`) refuses the GPU by name and says how to get it.
    #[cfg(not(feature = "gpu"))]
    #[test]
    fn a_cpu_only_build_refuses_the_gpu_and_says_why() {
        let err = select_device(DeviceChoice::Gpu).unwrap_err();
        assert!(matches!(err, ComputeError::NotBuilt));
        assert!(err.to_string().contains("feature `gpu`"), "{err}");
        let auto = select_device(DeviceChoice::Auto).unwrap();
        assert!(!auto.is_gpu);
        assert!(auto.note.unwrap().contains("without the GPU backend"));
    }
}
