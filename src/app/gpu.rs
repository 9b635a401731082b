//! The window's wgpu device, created so that burn can later run on the same device (STACK.md §3):
//! burn's kernels need the adapter's features (e.g. TIMESTAMP_QUERY) and limits, which egui's default
//! descriptor does not request.

use std::sync::Arc;

pub fn shared_device_descriptor(adapter: &wgpu::Adapter) -> wgpu::DeviceDescriptor<'static> {
    wgpu::DeviceDescriptor {
        label: Some("nesbind shared egui + burn device"),
        // Mappable primary buffers are slow on discrete GPUs and neither egui nor burn needs them.
        required_features: adapter
            .features()
            .difference(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS),
        required_limits: adapter.limits(),
        memory_hints: wgpu::MemoryHints::MemoryUsage,
        ..Default::default()
    }
}

/// eframe / egui_kittest wgpu setup with the shared device descriptor.
pub fn wgpu_setup() -> egui_wgpu::WgpuSetup {
    let mut setup = egui_wgpu::WgpuSetupCreateNew::without_display_handle();
    setup.device_descriptor = Arc::new(shared_device_descriptor);
    egui_wgpu::WgpuSetup::CreateNew(setup)
}

/// "llvmpipe (LLVM 15.0.6, 256 bits), Vulkan, Cpu" — what the user sees as the adapter.
pub fn describe_adapter(info: &wgpu::AdapterInfo) -> String {
    format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type)
}

/// Registers the window's wgpu device with burn, so that embedding and training run on the GPU that draws
/// the view (one device, no copies between two). Call once; clone the returned device.
#[cfg(feature = "gpu")]
pub fn shared_burn_device(rs: &egui_wgpu::RenderState) -> Result<burn::tensor::Device, String> {
    let info = rs.adapter.get_info();
    let setup = burn::tensor::wgpu::WgpuSetup {
        instance: rs.instance.clone(),
        adapter: rs.adapter.clone(),
        device: rs.device.clone(),
        queue: rs.queue.clone(),
        backend: info.backend,
    };
    burn::tensor::Device::wgpu_options()
        .setup(setup)
        .init()
        .map_err(|e| format!("sharing the window's GPU ({}) with burn: {e}", info.name))
}

#[cfg(not(feature = "gpu"))]
pub fn shared_burn_device(_rs: &egui_wgpu::RenderState) -> Result<burn::tensor::Device, String> {
    Err(crate::compute::ComputeError::NotBuilt.to_string())
}
