//! nesbind: which residues of a nuclear export signal (NES) bind which CRM1 pocket.
//!
//! Layers, lowest first: `structure` (files → chains, roles, numbering, pockets), `labels` (distance
//! labels and pocket occupancy), `nesdb` (NES data sets), `compute` (burn device choice), then the
//! embedding, training, rendering and application layers that build on them.

pub mod compute;
pub mod embed;
pub mod train;
