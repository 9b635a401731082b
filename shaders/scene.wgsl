// Molecule scene: sphere impostors (atoms, trace joints, translucent pocket markers) and instanced
// cylinder meshes (trace segments, bonds). Colours arrive as sRGB; shading runs in linear light and the
// result is written sRGB-encoded into an Rgba8Unorm target (the blit pass decodes it if egui needs linear).

struct Uniforms {
    view: mat4x4<f32>,
    proj: mat4x4<f32>,
    // xyz: unit vector towards the key light, in view space.
    light_dir: vec4<f32>,
    // rgb: background (sRGB), for depth cueing.
    background: vec4<f32>,
    // x: view distance where fog starts, y: where it is full, z: maximum fog amount.
    fog: vec4<f32>,
    // x: hovered pick id, y: selected pick id (0 = none).
    highlight: vec4<u32>,
};

@group(0) @binding(0) var<uniform> u: Uniforms;

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let lo = c / 12.92;
    let hi = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(hi, lo, c <= vec3<f32>(0.04045));
}

fn linear_to_srgb(c: vec3<f32>) -> vec3<f32> {
    let x = clamp(c, vec3<f32>(0.0), vec3<f32>(1.0));
    let lo = x * 12.92;
    let hi = 1.055 * pow(x, vec3<f32>(1.0 / 2.4)) - 0.055;
    return select(hi, lo, x <= vec3<f32>(0.0031308));
}

fn highlight_amount(pick: u32) -> f32 {
    if pick == 0u {
        return 0.0;
    }
    if pick == u.highlight.y {
        return 0.55;
    }
    if pick == u.highlight.x {
        return 0.35;
    }
    return 0.0;
}

fn radius_scale(pick: u32) -> f32 {
    if pick != 0u && (pick == u.highlight.x || pick == u.highlight.y) {
        return 1.3;
    }
    return 1.0;
}

// Headlight-style Blinn–Phong with a little ambient, then depth cueing towards the background.
fn shade(base_srgb: vec3<f32>, n: vec3<f32>, pos_view: vec3<f32>, pick: u32) -> vec3<f32> {
    var base = srgb_to_linear(base_srgb);
    base = mix(base, vec3<f32>(1.0, 1.0, 0.92), highlight_amount(pick));
    let l = u.light_dir.xyz;
    let v = normalize(-pos_view);
    let diffuse = max(dot(n, l), 0.0);
    let h = normalize(l + v);
    let spec = pow(max(dot(n, h), 0.0), 48.0) * 0.22;
    // A dim fill light from the lower right keeps shadowed sides readable.
    let fill = max(dot(n, normalize(vec3<f32>(0.6, -0.5, 0.6))), 0.0) * 0.15;
    var c = base * (0.28 + 0.78 * diffuse + fill) + vec3<f32>(spec);
    let dist = -pos_view.z;
    let f = clamp((dist - u.fog.x) / max(u.fog.y - u.fog.x, 1e-3), 0.0, 1.0) * u.fog.z;
    c = mix(c, srgb_to_linear(u.background.rgb), f);
    return linear_to_srgb(c);
}

fn depth_of(pos_view: vec3<f32>) -> f32 {
    let clip = u.proj * vec4<f32>(pos_view, 1.0);
    return clip.z / clip.w;
}

// ---------------------------------------------------------------- spheres (impostors)

struct SphereInstance {
    @location(0) centre_radius: vec4<f32>,
    @location(1) colour: vec4<f32>,
    @location(2) pick: u32,
};

struct SphereVarying {
    @builtin(position) clip: vec4<f32>,
    @location(0) pos_view: vec3<f32>,
    @location(1) @interpolate(flat) centre: vec3<f32>,
    @location(2) @interpolate(flat) radius: f32,
    @location(3) @interpolate(flat) colour: vec4<f32>,
    @location(4) @interpolate(flat) pick: u32,
};

// The billboard faces the eye (perpendicular to the eye→centre direction) and is sized to the sphere's
// true perspective silhouette, r·d/√(d²−r²), so off-axis spheres are never cut.
@vertex
fn vs_sphere(@builtin(vertex_index) vi: u32, inst: SphereInstance) -> SphereVarying {
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, 1.0), vec2<f32>(-1.0, 1.0),
    );
    let r = inst.centre_radius.w * radius_scale(inst.pick);
    let c = (u.view * vec4<f32>(inst.centre_radius.xyz, 1.0)).xyz;
    let d = max(length(c), 1e-4);
    let axis = c / d;
    var up = vec3<f32>(0.0, 1.0, 0.0);
    if abs(axis.y) > 0.99 {
        up = vec3<f32>(1.0, 0.0, 0.0);
    }
    let right = normalize(cross(axis, up));
    let up2 = cross(right, axis);
    let half = r * d / sqrt(max(d * d - r * r, 1e-4)) * 1.02;
    let corner = corners[vi];
    // Pull the billboard towards the eye by r so that it is never behind the near side of the sphere.
    let centre_front = c - axis * r;
    let scale = (d - r) / d;
    let p = centre_front + (right * corner.x + up2 * corner.y) * half * max(scale, 0.0);
    var out: SphereVarying;
    out.clip = u.proj * vec4<f32>(p, 1.0);
    out.pos_view = p;
    out.centre = c;
    out.radius = r;
    out.colour = inst.colour;
    out.pick = inst.pick;
    return out;
}

struct SphereHit {
    pos: vec3<f32>,
    normal: vec3<f32>,
};

fn hit_sphere(in: SphereVarying) -> SphereHit {
    let dir = normalize(in.pos_view);
    let b = dot(dir, in.centre);
    let cc = dot(in.centre, in.centre) - in.radius * in.radius;
    let disc = b * b - cc;
    if disc < 0.0 {
        discard;
    }
    let t = b - sqrt(disc);
    let pos = dir * t;
    var hit: SphereHit;
    hit.pos = pos;
    hit.normal = normalize(pos - in.centre);
    return hit;
}

struct FragOut {
    @location(0) colour: vec4<f32>,
    @builtin(frag_depth) depth: f32,
};

@fragment
fn fs_sphere(in: SphereVarying) -> FragOut {
    let hit = hit_sphere(in);
    var out: FragOut;
    out.colour = vec4<f32>(shade(in.colour.rgb, hit.normal, hit.pos, in.pick), 1.0);
    out.depth = depth_of(hit.pos);
    return out;
}

// Translucent markers: a rim-brightened glass look so the centre of the pocket stays visible through it.
@fragment
fn fs_marker(in: SphereVarying) -> FragOut {
    let hit = hit_sphere(in);
    let v = normalize(-hit.pos);
    let rim = 1.0 - abs(dot(hit.normal, v));
    let c = shade(in.colour.rgb, hit.normal, hit.pos, 0u);
    var out: FragOut;
    out.colour = vec4<f32>(c, clamp(in.colour.a * (0.6 + 0.8 * rim), 0.0, 1.0));
    out.depth = depth_of(hit.pos);
    return out;
}

// ---------------------------------------------------------------- cylinders (instanced mesh)

struct CylinderInstance {
    @location(0) a_radius: vec4<f32>,
    @location(1) b: vec3<f32>,
    @location(2) pick: u32,
    @location(3) colour: vec4<f32>,
};

struct CylinderVarying {
    @builtin(position) clip: vec4<f32>,
    @location(0) pos_view: vec3<f32>,
    @location(1) normal_view: vec3<f32>,
    @location(2) @interpolate(flat) colour: vec4<f32>,
    @location(3) @interpolate(flat) pick: u32,
};

// `unit` is a vertex of the unit cylinder: (cos θ, sin θ, h) with h ∈ {0, 1}.
@vertex
fn vs_cylinder(@location(4) unit: vec3<f32>, inst: CylinderInstance) -> CylinderVarying {
    let a = inst.a_radius.xyz;
    let axis = inst.b - a;
    let len = length(axis);
    var out: CylinderVarying;
    out.colour = inst.colour;
    out.pick = inst.pick;
    if len < 1e-6 {
        out.clip = vec4<f32>(0.0, 0.0, 2.0, 1.0);
        out.pos_view = vec3<f32>(0.0);
        out.normal_view = vec3<f32>(0.0, 0.0, 1.0);
        return out;
    }
    let w = axis / len;
    var helper = vec3<f32>(0.0, 0.0, 1.0);
    if abs(w.z) > 0.9 {
        helper = vec3<f32>(1.0, 0.0, 0.0);
    }
    let e1 = normalize(cross(w, helper));
    let e2 = cross(w, e1);
    let n = e1 * unit.x + e2 * unit.y;
    let r = inst.a_radius.w * radius_scale(inst.pick);
    let world = a + axis * unit.z + n * r;
    let pv = (u.view * vec4<f32>(world, 1.0)).xyz;
    out.clip = u.proj * vec4<f32>(pv, 1.0);
    out.pos_view = pv;
    out.normal_view = (u.view * vec4<f32>(n, 0.0)).xyz;
    return out;
}

@fragment
fn fs_cylinder(in: CylinderVarying) -> @location(0) vec4<f32> {
    return vec4<f32>(shade(in.colour.rgb, normalize(in.normal_view), in.pos_view, in.pick), 1.0);
}
