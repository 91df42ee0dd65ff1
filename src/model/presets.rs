//! The built-in networks, embedded in the binary (also under `demo/nets/` as examples to copy).

/// `(name, spec text)` in the order `presets` lists them.
pub const PRESETS: &[(&str, &str)] = &[
    ("cs231n-demo", include_str!("../../demo/nets/cs231n-demo.toml")),
    ("cs231n-numpy", include_str!("../../demo/nets/cs231n-numpy.toml")),
    ("cifar", include_str!("../../demo/nets/cifar.toml")),
    ("alexnet", include_str!("../../demo/nets/alexnet.toml")),
    ("vgg16", include_str!("../../demo/nets/vgg16.toml")),
];

/// The spec text of a preset.
pub fn get(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The names, for messages.
pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}
