// Copies the offscreen 3D image into egui's render pass (egui sets the viewport to the view's rect).

@group(0) @binding(0) var image: texture_2d<f32>;
@group(0) @binding(1) var image_sampler: sampler;

struct Varying {
    @builtin(position) clip: vec4<f32>,
    @location(0) uv: vec2<f32>,
};

// One triangle that covers the viewport.
@vertex
fn vs_blit(@builtin(vertex_index) vi: u32) -> Varying {
    let x = f32(i32(vi & 1u) * 4 - 1);
    let y = f32(i32(vi >> 1u) * 4 - 1);
    var out: Varying;
    out.clip = vec4<f32>(x, y, 0.0, 1.0);
    out.uv = vec2<f32>((x + 1.0) * 0.5, (1.0 - y) * 0.5);
    return out;
}

// The offscreen image holds sRGB-encoded values: pass them through to a non-sRGB target…
@fragment
fn fs_blit(in: Varying) -> @location(0) vec4<f32> {
    return textureSample(image, image_sampler, in.uv);
}

// …or decode them for an sRGB target, which re-encodes on write.
@fragment
fn fs_blit_to_srgb(in: Varying) -> @location(0) vec4<f32> {
    let c = textureSample(image, image_sampler, in.uv);
    let lo = c.rgb / 12.92;
    let hi = pow((c.rgb + 0.055) / 1.055, vec3<f32>(2.4));
    return vec4<f32>(select(hi, lo, c.rgb <= vec3<f32>(0.04045)), c.a);
}
