#!/usr/bin/env python3
"""Build small versions of real torchvision CNNs (random, seeded weights), export them to ONNX
with PyTorch's classic TorchScript exporter, and store onnxruntime references for every node.

Usage (CPU torch is enough; the venv must live outside the repository):
    python3 -m venv /work/torchenv
    /work/torchenv/bin/pip install torch==2.8.0 torchvision==0.23.0 onnx==1.23.2 onnxruntime==1.32.0 numpy
    nice /work/torchenv/bin/python tools/onnx/make_models.py [OUT_DIR] [name ...]

OUT_DIR defaults to tests/data/onnx/models; no names = every model in MODELS. Each model becomes
    <name>/model.onnx   the exported file (≤ 2 MB)
    <name>/input.npy    the input fed, float32 NCHW, numpy.random.default_rng(seed).standard_normal
    <name>/refs.npz     onnxruntime's value of every node output (keys = ONNX tensor names),
                        uncompressed (np.savez), ≤ 2 MB
    <name>/meta.json    what was built and how: the constructor call, parameter count, opset,
                        node count and op counts, input/outputs, the producer op, shape and dtype
                        of every tensor, which tensors were dropped from refs.npz to keep it under
                        2 MB, and the check against onnxruntime with its default optimisations
The model exported with dynamic H and W (`fpn_det_tiny_dynamic`) also has
`input_<h>x<w>.npy` / `refs_<h>x<w>.npz` at a second size.

The models
----------
Real torchvision classes, built through their constructors (or, where a class has no width
knob, a subclass whose __init__ calls the torchvision constructor and then rebuilds its stages
with torchvision's own blocks at smaller widths), 10 classes, input [1, 3, 64, 64]:
- shufflenet_v2_tiny     ShuffleNetV2(stages_repeats=[2, 2, 2], stages_out_channels=[8, 16, 32, 64, 128])
- mobilenet_v3_small_tiny MobileNetV3 with the mobilenet_v3_small configuration, width_mult=0.25
- mobilenet_v2_tiny      MobileNetV2(width_mult=0.25), one block per stage
- resnet18_tiny          ResNet(BasicBlock, [2, 2, 2, 2]) with stage widths 8/16/32/64
- squeezenet1_1_tiny     SqueezeNet('1_1') with the same Fire layout at a quarter of the widths
- mnasnet_tiny           MNASNet(alpha=0.25)
- efficientnet_b0_tiny   EfficientNet with the efficientnet_b0 configuration, width 0.25, depth 0.5
- googlenet_tiny         GoogLeNet(aux_logits=False) with small Inception blocks (4b–4e dropped)
- densenet_tiny          DenseNet(growth_rate=8, block_config=(2, 2, 2, 2), num_init_features=16, bn_size=2)
- unet_tiny              a 2-level UNet: Conv-BN-ReLU blocks, MaxPool, ConvTranspose up-sampling,
                         concatenated skips, 1x1 head (3 classes per pixel)
- fpn_det_tiny           a small conv backbone (strides 4, 8, 16) → torchvision.ops.FeaturePyramidNetwork
                         (nearest up-sampling, LastLevelMaxPool) → a shared RetinaNet-style head
                         (3 anchors, 10 classes): outputs cls_logits [1, N, 10] and bbox [1, N, 4]
- fpn_det_tiny_dynamic   the same network exported with dynamic H and W
Every weight comes from torch.manual_seed(SEED + index); BatchNorm running statistics and affine
parameters are randomised too (else eval-mode BN is an identity, and the exporter folds it away
into the preceding Conv anyway where it can).

Export
------
torch.onnx.export(model.eval(), x, dynamo=False, opset_version=17, do_constant_folding=True),
input name "input"; the classic exporter folds BatchNormalization into the preceding Conv in eval
mode, turns nn.Linear into Gemm, SiLU into Sigmoid + Mul, Hardswish/Hardsigmoid into HardSwish/
HardSigmoid, and adaptive average pooling to 1x1 into GlobalAveragePool.

References
----------
onnxruntime 1.32, CPUExecutionProvider, intra/inter-op threads 1, sequential, graph
optimisations disabled (ORT_DISABLE_ALL) so no value is fused away; every node output is added
to graph.output of a copy of the model (a ValueInfo without a type). If refs.npz would exceed
2 MB, the largest intermediate tensors are dropped (graph outputs never are) until it fits;
meta.json lists them. As a check, the unmodified model with onnxruntime's default optimisations
must give the same graph outputs (max |diff| in meta.json).
"""

from __future__ import annotations

import collections
import io
import json
import os
import shutil
import sys
import warnings
from collections import OrderedDict

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torchvision
from onnx import helper
from torch import nn
from torchvision.models import DenseNet, GoogLeNet, MNASNet, MobileNetV2, ResNet, ShuffleNetV2, SqueezeNet
from torchvision.models.efficientnet import EfficientNet, _efficientnet_conf
from torchvision.models.googlenet import BasicConv2d, Inception
from torchvision.models.mobilenetv3 import MobileNetV3, _mobilenet_v3_conf
from torchvision.models.resnet import BasicBlock
from torchvision.models.squeezenet import Fire
from torchvision.ops import FeaturePyramidNetwork
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

warnings.filterwarnings("ignore")

SEED = 20250301
OPSET = 17
NUM_CLASSES = 10
MAX_BYTES = 2_000_000  # model.onnx and refs.npz each stay at or below 2 MB
INPUT = (1, 3, 64, 64)
DYNAMIC_SECOND_SIZE = (96, 128)


# ---- the architectures ----

class TinyResNet(ResNet):
    """torchvision's ResNet(BasicBlock, layers) with stage widths `widths` instead of 64…512
    (ResNet has no width argument for BasicBlock): the stem and stages are rebuilt with the
    class's own _make_layer."""

    def __init__(self, layers=(2, 2, 2, 2), widths=(8, 16, 32, 64), num_classes=NUM_CLASSES):
        super().__init__(BasicBlock, list(layers), num_classes=num_classes)
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.layer1 = self._make_layer(BasicBlock, widths[0], layers[0])
        self.layer2 = self._make_layer(BasicBlock, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(BasicBlock, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(BasicBlock, widths[3], layers[3], stride=2)
        self.fc = nn.Linear(widths[3], num_classes)


class TinySqueezeNet(SqueezeNet):
    """torchvision's SqueezeNet('1_1') with the same layout (conv 3x3/2, ceil-mode max pools,
    8 Fire modules, dropout, 1x1 conv classifier, adaptive average pool) at a quarter width."""

    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__(version="1_1", num_classes=num_classes)
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=3, stride=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(16, 4, 8, 8), Fire(16, 4, 8, 8),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(16, 8, 16, 16), Fire(32, 8, 16, 16),
            nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True),
            Fire(32, 12, 24, 24), Fire(48, 12, 24, 24), Fire(48, 16, 32, 32), Fire(64, 16, 32, 32))
        final_conv = nn.Conv2d(64, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(nn.Dropout(p=0.5), final_conv, nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))


class TinyGoogLeNet(GoogLeNet):
    """torchvision's GoogLeNet (no aux heads) with small BasicConv2d/Inception blocks; 4b–4e are
    Identity so the network keeps its 3a-3b / 4a / 5a-5b layout with ceil-mode max pools."""

    def __init__(self, num_classes=NUM_CLASSES):
        super().__init__(num_classes=num_classes, aux_logits=False, transform_input=False, init_weights=True)
        self.conv1 = BasicConv2d(3, 8, kernel_size=7, stride=2, padding=3)
        self.conv2 = BasicConv2d(8, 8, kernel_size=1)
        self.conv3 = BasicConv2d(8, 24, kernel_size=3, padding=1)
        self.inception3a = Inception(24, 8, 8, 12, 2, 4, 4)      # → 28
        self.inception3b = Inception(28, 12, 12, 16, 4, 8, 8)    # → 44
        self.inception4a = Inception(44, 16, 8, 16, 2, 4, 8)     # → 44
        self.inception4b = nn.Identity()
        self.inception4c = nn.Identity()
        self.inception4d = nn.Identity()
        self.inception4e = nn.Identity()
        self.inception5a = Inception(44, 16, 12, 24, 4, 8, 8)    # → 56
        self.inception5b = Inception(56, 24, 12, 24, 4, 8, 8)    # → 64
        self.fc = nn.Linear(64, num_classes)


def conv_bn_relu(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class TinyUNet(nn.Module):
    """Encoder (two Conv-BN-ReLU blocks per level, MaxPool), bottleneck, decoder (ConvTranspose
    2x2/2, concatenation with the encoder skip, two Conv-BN-ReLU), 1x1 head."""

    def __init__(self, widths=(8, 16, 32), classes=3):
        super().__init__()
        a, b, c = widths
        self.enc1 = nn.Sequential(conv_bn_relu(3, a), conv_bn_relu(a, a))
        self.enc2 = nn.Sequential(conv_bn_relu(a, b), conv_bn_relu(b, b))
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = nn.Sequential(conv_bn_relu(b, c), conv_bn_relu(c, c))
        self.up2 = nn.ConvTranspose2d(c, b, 2, stride=2)
        self.dec2 = nn.Sequential(conv_bn_relu(2 * b, b), conv_bn_relu(b, b))
        self.up1 = nn.ConvTranspose2d(b, a, 2, stride=2)
        self.dec1 = nn.Sequential(conv_bn_relu(2 * a, a), conv_bn_relu(a, a))
        self.head = nn.Conv2d(a, classes, 1)

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        b = self.bottleneck(self.pool(e2))
        d2 = self.dec2(torch.cat([self.up2(b), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.head(d1)


class TinyFPNDetector(nn.Module):
    """Backbone C2/C3/C4 (strides 4, 8, 16) → torchvision.ops.FeaturePyramidNetwork (+ a max-pooled
    P5) → a shared head per level (3x3 conv + ReLU, then class and box 3x3 convs), each level's
    map permuted to NHWC and reshaped to [batch, H·W·anchors, K], levels concatenated."""

    def __init__(self, anchors=3, num_classes=NUM_CLASSES, fpn=16):
        super().__init__()
        self.anchors, self.num_classes = anchors, num_classes
        self.stem = nn.Sequential(conv_bn_relu(3, 8, 2), conv_bn_relu(8, 16, 2))         # s4
        self.c3 = nn.Sequential(conv_bn_relu(16, 24, 2), conv_bn_relu(24, 24))          # s8
        self.c4 = nn.Sequential(conv_bn_relu(24, 32, 2), conv_bn_relu(32, 32))          # s16
        self.fpn = FeaturePyramidNetwork([16, 24, 32], fpn, extra_blocks=LastLevelMaxPool())
        self.head = nn.Sequential(nn.Conv2d(fpn, fpn, 3, padding=1), nn.ReLU(inplace=True))
        self.cls = nn.Conv2d(fpn, anchors * num_classes, 3, padding=1)
        self.box = nn.Conv2d(fpn, anchors * 4, 3, padding=1)

    def forward(self, x):
        c2 = self.stem(x)
        c3 = self.c3(c2)
        c4 = self.c4(c3)
        feats = self.fpn(OrderedDict([("c2", c2), ("c3", c3), ("c4", c4)]))
        cls, box = [], []
        for f in feats.values():
            h = self.head(f)
            n = h.shape[0]
            cls.append(self.cls(h).permute(0, 2, 3, 1).reshape(n, -1, self.num_classes))
            box.append(self.box(h).permute(0, 2, 3, 1).reshape(n, -1, 4))
        return torch.cat(cls, dim=1), torch.cat(box, dim=1)


def mobilenet_v3_small_tiny():
    setting, last = _mobilenet_v3_conf("mobilenet_v3_small", width_mult=0.25)
    return MobileNetV3(setting, last, num_classes=NUM_CLASSES)


def mobilenet_v2_tiny():
    # t, c, n, s as in torchvision's default, one block per stage
    setting = [[1, 16, 1, 1], [6, 24, 1, 2], [6, 32, 1, 2], [6, 64, 1, 2], [6, 96, 1, 1], [6, 160, 1, 2],
               [6, 320, 1, 1]]
    return MobileNetV2(num_classes=NUM_CLASSES, width_mult=0.25, inverted_residual_setting=setting)


def efficientnet_b0_tiny():
    setting, last = _efficientnet_conf("efficientnet_b0", width_mult=0.25, depth_mult=0.5)
    return EfficientNet(setting, dropout=0.2, stochastic_depth_prob=0.2, num_classes=NUM_CLASSES, last_channel=last)


# name → (builder, constructor call written to meta.json, dynamic H/W)
MODELS = OrderedDict([
    ("shufflenet_v2_tiny", (lambda: ShuffleNetV2([2, 2, 2], [8, 16, 32, 64, 128], num_classes=NUM_CLASSES),
                            "ShuffleNetV2(stages_repeats=[2, 2, 2], stages_out_channels=[8, 16, 32, 64, 128], num_classes=10)",
                            False)),
    ("mobilenet_v3_small_tiny", (mobilenet_v3_small_tiny,
                                 "MobileNetV3(*_mobilenet_v3_conf('mobilenet_v3_small', width_mult=0.25), num_classes=10)",
                                 False)),
    ("mobilenet_v2_tiny", (mobilenet_v2_tiny,
                           "MobileNetV2(num_classes=10, width_mult=0.25, inverted_residual_setting=<one block per stage>)",
                           False)),
    ("resnet18_tiny", (TinyResNet, "ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10), stages rebuilt at widths 8/16/32/64",
                       False)),
    ("squeezenet1_1_tiny", (TinySqueezeNet, "SqueezeNet(version='1_1', num_classes=10), Fire modules at 1/4 width",
                            False)),
    ("mnasnet_tiny", (lambda: MNASNet(alpha=0.25, num_classes=NUM_CLASSES), "MNASNet(alpha=0.25, num_classes=10)", False)),
    ("efficientnet_b0_tiny", (efficientnet_b0_tiny,
                              "EfficientNet(*_efficientnet_conf('efficientnet_b0', width_mult=0.25, depth_mult=0.5), "
                              "dropout=0.2, stochastic_depth_prob=0.2, num_classes=10)", False)),
    ("googlenet_tiny", (TinyGoogLeNet, "GoogLeNet(num_classes=10, aux_logits=False, transform_input=False), "
                                       "small Inception blocks, 4b-4e Identity", False)),
    ("densenet_tiny", (lambda: DenseNet(growth_rate=8, block_config=(2, 2, 2, 2), num_init_features=16, bn_size=2,
                                        num_classes=NUM_CLASSES),
                       "DenseNet(growth_rate=8, block_config=(2, 2, 2, 2), num_init_features=16, bn_size=2, num_classes=10)",
                       False)),
    ("unet_tiny", (TinyUNet, "TinyUNet(widths=(8, 16, 32), classes=3)", False)),
    ("fpn_det_tiny", (TinyFPNDetector, "TinyFPNDetector(anchors=3, num_classes=10, fpn=16)", False)),
    ("fpn_det_tiny_dynamic", (TinyFPNDetector, "TinyFPNDetector(anchors=3, num_classes=10, fpn=16), dynamic H and W",
                              True)),
])


# ---- build, export, reference ----

def randomise_batchnorm(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.empty(c).uniform_(0.5, 1.5, generator=gen))
                m.bias.copy_(torch.empty(c).uniform_(-0.2, 0.2, generator=gen))
                m.running_mean.copy_(torch.empty(c).uniform_(-0.2, 0.2, generator=gen))
                m.running_var.copy_(torch.empty(c).uniform_(0.5, 2.0, generator=gen))


def output_names(model, x):
    with torch.no_grad():
        y = model(x)
    if isinstance(y, (tuple, list)):
        return ["cls_logits", "bbox_regression"][: len(y)] if len(y) == 2 else [f"output_{i}" for i in range(len(y))]
    return ["logits" if y.dim() == 2 else "output"]


def export(model, x, path, dynamic):
    names = output_names(model, x)
    dynamic_axes = None
    if dynamic:
        dynamic_axes = {"input": {2: "height", 3: "width"}}
        for n in names:
            dynamic_axes[n] = {1: "anchors"} if n in ("cls_logits", "bbox_regression") else {2: "height", 3: "width"}
    torch.onnx.export(model, (x,), path, dynamo=False, opset_version=OPSET, do_constant_folding=True,
                      input_names=["input"], output_names=names, dynamic_axes=dynamic_axes)
    return names


def session(model_bytes, optimised=False):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    if not optimised:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


def expose_all(model):
    """A copy of the model with every node output also a graph output; (copy, names in node
    order, producer op of each)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    order, producer = [], {}
    for n in m.graph.node:
        for o in n.output:
            if not o:
                continue
            order.append(o)
            producer[o] = n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}::{n.op_type}"
            if o not in have:
                m.graph.output.append(helper.make_empty_tensor_value_info(o))
                have.add(o)
    return m, order, producer


def npz_bytes(arrs):
    buf = io.BytesIO()
    np.savez(buf, **arrs)
    return buf.getvalue()


def fit_refs(arrs, keep):
    """Drop the largest tensors not in `keep` until the uncompressed npz is ≤ MAX_BYTES."""
    arrs = dict(arrs)
    dropped = []
    data = npz_bytes(arrs)
    while len(data) > MAX_BYTES:
        over = len(data) - MAX_BYTES
        cands = sorted((a.nbytes, n) for n, a in arrs.items() if n not in keep)
        if not cands:
            raise SystemExit("graph outputs alone exceed the refs size limit")
        freed = 0
        # drop from the largest down until the estimate fits, then re-measure
        for size, n in reversed(cands):
            del arrs[n]
            dropped.append((n, size))
            freed += size + 200
            if freed >= over:
                break
        data = npz_bytes(arrs)
    return arrs, data, dropped


def references(model, x, final_names):
    exposed, order, producer = expose_all(model)
    sess = session(exposed.SerializeToString())
    names = [o.name for o in sess.get_outputs()]
    vals = sess.run(None, {"input": x})
    arrs = {n: v for n, v in zip(names, vals) if isinstance(v, np.ndarray)}
    plain = session(model.SerializeToString(), optimised=True)
    pv = plain.run(None, {"input": x})
    check = {o.name: float(np.max(np.abs(arrs[o.name].astype(np.float64) - v))) if v.size else 0.0
             for o, v in zip(plain.get_outputs(), pv)}
    kept, data, dropped = fit_refs(arrs, set(final_names))
    tensors = {n: dict(op=producer.get(n, "?"), shape=list(arrs[n].shape), dtype=str(arrs[n].dtype))
               for n in order if n in arrs}
    return data, dict(saved=len(kept), node_outputs=len(order), total_bytes_all=int(sum(a.nbytes for a in arrs.values())),
                      refs_bytes=len(data), dropped=[dict(name=n, bytes=int(s)) for n, s in dropped],
                      final_maxabs_vs_optimised_ort=check), tensors


def shape_of(vi):
    return [d.dim_value if d.HasField("dim_value") else d.dim_param for d in vi.type.tensor_type.shape.dim]


def build(index, name, out_dir):
    builder, call, dynamic = MODELS[name]
    torch.manual_seed(SEED + index)
    gen = torch.Generator().manual_seed(SEED + 1000 + index)
    model = builder()
    randomise_batchnorm(model, gen)
    model.eval()
    params = sum(p.numel() for p in model.parameters())
    d = os.path.join(out_dir, name)
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    x = np.random.default_rng(SEED + index).standard_normal(INPUT, dtype=np.float32)
    path = os.path.join(d, "model.onnx")
    finals = export(model, torch.from_numpy(x), path, dynamic)
    size = os.path.getsize(path)
    if size > MAX_BYTES:
        raise SystemExit(f"{name}: model.onnx is {size} bytes (> {MAX_BYTES})")
    m = onnx.load(path)
    onnx.checker.check_model(m)
    with torch.no_grad():
        ty = model(torch.from_numpy(x))
    ty = [t.numpy() for t in (ty if isinstance(ty, (tuple, list)) else (ty,))]
    np.save(os.path.join(d, "input.npy"), x)
    data, ref_meta, tensors = references(m, x, finals)
    with open(os.path.join(d, "refs.npz"), "wb") as f:
        f.write(data)
    got = np.load(os.path.join(d, "refs.npz"))
    torch_diff = {n: float(np.max(np.abs(got[n].astype(np.float64) - t))) for n, t in zip(finals, ty)}
    ops = collections.Counter(n.op_type for n in m.graph.node)
    meta = dict(
        name=name, constructor=call, torch=torch.__version__, torchvision=torchvision.__version__,
        onnx=onnx.__version__, onnxruntime=ort.__version__, seed=SEED + index, parameters=int(params),
        export=dict(exporter="torch.onnx.export (TorchScript, dynamo=False)", opset_version=OPSET,
                    do_constant_folding=True, dynamic_axes=bool(dynamic)),
        model_bytes=size, ir_version=m.ir_version,
        opset_import={o.domain or "ai.onnx": o.version for o in m.opset_import},
        nodes=len(m.graph.node), initializers=len(m.graph.initializer),
        op_counts=dict(sorted(ops.items(), key=lambda kv: (-kv[1], kv[0]))),
        input=dict(name=m.graph.input[0].name, declared_shape=shape_of(m.graph.input[0]), shape=list(x.shape),
                   dtype="float32", random=f"numpy.random.default_rng({SEED + index}).standard_normal(shape, dtype=float32)"),
        outputs={o.name: dict(declared_shape=shape_of(o), shape=list(got[o.name].shape)) for o in m.graph.output},
        refs=dict(ref_meta, ort=dict(threads=1, graph_optimization="ORT_DISABLE_ALL"),
                  final_maxabs_vs_torch=torch_diff),
        tensors=tensors,
    )
    if dynamic:
        h, w = DYNAMIC_SECOND_SIZE
        x2 = np.random.default_rng(SEED + 100 + index).standard_normal((1, 3, h, w), dtype=np.float32)
        np.save(os.path.join(d, f"input_{h}x{w}.npy"), x2)
        data2, ref_meta2, tensors2 = references(m, x2, finals)
        with open(os.path.join(d, f"refs_{h}x{w}.npz"), "wb") as f:
            f.write(data2)
        meta["second_size"] = dict(input=f"input_{h}x{w}.npy", refs=f"refs_{h}x{w}.npz", shape=[1, 3, h, w],
                                   random=f"numpy.random.default_rng({SEED + 100 + index}).standard_normal",
                                   refs_meta=ref_meta2,
                                   tensor_shapes={n: t["shape"] for n, t in tensors2.items()})
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"{name:26s} {size / 1e6:5.2f} MB  params {params:8d}  nodes {len(m.graph.node):4d}  "
          f"refs {len(data) / 1e6:4.2f} MB ({ref_meta['saved']}/{ref_meta['node_outputs']} kept)  "
          f"|ort-torch| {max(torch_diff.values()):.2e}", flush=True)


def main():
    args = sys.argv[1:]
    out_dir = os.path.normpath(args[0] if args else os.path.join(
        os.path.dirname(__file__), "..", "..", "tests", "data", "onnx", "models"))
    names = args[1:] or list(MODELS)
    torch.set_num_threads(1)
    os.makedirs(out_dir, exist_ok=True)
    for name in names:
        build(list(MODELS).index(name), name, out_dir)


if __name__ == "__main__":
    main()
