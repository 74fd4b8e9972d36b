"""Train pix2pix (U-Net + PatchGAN, BCE + 100 L1) or its L1-only baseline on sketch -> emoji pairs.

    python -m scripts.build_pix2pix_data
    python -m scripts.train_pix2pix --name pix2pix_gan                 # -> checkpoints/pix2pix_gan{,_d}.*
    python -m scripts.train_pix2pix --name pix2pix_l1 --l1-only        # -> checkpoints/pix2pix_l1.*
    python -m scripts.train_pix2pix --name facades --aligned facades --direction BtoA --image-size 256

Resumable: the run's state goes to runs/<name>/ every few minutes; the same command continues it.
The learning rate is constant for the first half of the epochs, then decays linearly to zero.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from tqdm import tqdm

from models.checkpoints import save_checkpoint
from models.device import device_label, select_device
from models.pix2pix import (
    LEARNING_RATE,
    PatchDiscriminator,
    UNetGenerator,
    discriminator_loss,
    generate_all,
    generator_loss,
    held_out_metrics,
    init_weights,
    linear_decay,
    make_optimizer,
)
from models.pix2pix_data import PairedImages, load_aligned_folder, load_emoji_pairs

ROOT = Path(__file__).resolve().parent.parent
EMOJI_DATA = ROOT / "data" / "pix2pix" / "emoji128.npz"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", required=True, help="checkpoint name, e.g. pix2pix_gan")
    parser.add_argument("--l1-only", action="store_true", help="the baseline: same U-Net, L1 loss, no discriminator")
    parser.add_argument("--aligned", type=Path, help="folder with train/ (and val/ or test/) of A|B images")
    parser.add_argument("--direction", default="AtoB", choices=["AtoB", "BtoA"])
    parser.add_argument("--image-size", type=int, default=128, help="emoji data is 128; aligned data is resized")
    parser.add_argument("--ngf", type=int, default=32, help="generator width (reference: 64)")
    parser.add_argument("--ndf", type=int, default=32, help="discriminator width (reference: 64)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=30, help="half constant learning rate, half linear decay")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (the machine is shared)")
    parser.add_argument("--checkpoint-minutes", type=float, default=5.0)
    parser.add_argument("--runs-dir", type=Path, default=ROOT / "runs")
    parser.add_argument("--checkpoint-dir", type=Path, default=ROOT / "checkpoints")
    return parser.parse_args(argv)


def load_data(args) -> tuple[PairedImages, PairedImages | None, str]:
    if args.aligned is None:
        if not EMOJI_DATA.is_file():
            raise SystemExit(f"{EMOJI_DATA} is missing: run python -m scripts.build_pix2pix_data first.")
        if args.image_size != 128:
            raise SystemExit("The emoji dataset is built at 128 px; use --image-size 128.")
        return load_emoji_pairs(EMOJI_DATA, held_out=False), load_emoji_pairs(EMOJI_DATA, held_out=True), "emoji"
    train = load_aligned_folder(args.aligned / "train", args.direction, args.image_size)
    held_out = next((args.aligned / s for s in ("val", "test") if (args.aligned / s).is_dir()), None)
    held_out_data = load_aligned_folder(held_out, args.direction, args.image_size) if held_out else None
    return train, held_out_data, f"aligned:{args.aligned.name}:{args.direction}"


def evaluate(G: UNetGenerator, data: PairedImages, device: torch.device) -> dict:
    """Held-out L1 (in [0, 1] units), SSIM and sharpness ratio, G in eval mode (no dropout)."""
    _, fake, real = generate_all(G, data, device)
    return held_out_metrics(fake, real)


def save_resume(path: Path, models: dict, optimizers: dict, meta: dict) -> None:
    """Weights and Adam moments as safetensors, counters and curves as JSON (no pickle)."""
    tensors = {
        f"{name}.{k}": v.detach().cpu().contiguous() for name, m in models.items() for k, v in m.state_dict().items()
    }
    groups = {}
    for name, optimizer in optimizers.items():
        state = optimizer.state_dict()
        groups[name] = state["param_groups"]
        for index, slots in state["state"].items():
            for slot, value in slots.items():
                tensors[f"optim.{name}.{index}.{slot}"] = value.detach().cpu().reshape(value.shape).contiguous()
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp))
    tmp.replace(path.with_suffix(".safetensors"))  # atomic: a kill mid-write leaves the previous state intact
    path.with_suffix(".json").write_text(json.dumps({**meta, "param_groups": groups}, indent=1))


def load_resume(path: Path, models: dict, optimizers: dict) -> dict:
    tensors = load_file(str(path.with_suffix(".safetensors")))
    meta = json.loads(path.with_suffix(".json").read_text())
    for name, model in models.items():
        model.load_state_dict({k[len(name) + 1 :]: v for k, v in tensors.items() if k.startswith(f"{name}.")})
    for name, optimizer in optimizers.items():
        state: dict = {}
        for key, value in tensors.items():
            if key.startswith(f"optim.{name}."):
                _, _, index, slot = key.split(".")
                state.setdefault(int(index), {})[slot] = value
        optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"][name]})
    return meta


def main(argv=None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = select_device()
    train, held_out, source = load_data(args)
    config = {
        "image_size": args.image_size,
        "ngf": args.ngf,
        "ndf": args.ndf,
        "in_channels": train.in_channels,
        "out_channels": 3,
        "l1_only": args.l1_only,
    }
    G = UNetGenerator(args.image_size, args.ngf, in_channels=train.in_channels).to(device)
    init_weights(G)
    models, optimizers = {"G": G}, {"G": make_optimizer(G)}
    D = None
    if not args.l1_only:
        D = PatchDiscriminator(train.in_channels + 3, args.ndf).to(device)
        init_weights(D)
        models["D"], optimizers["D"] = D, make_optimizer(D)

    steps_per_epoch = len(train) // args.batch_size  # drop the ragged last batch: BatchNorm wants full ones
    total_steps = args.epochs * steps_per_epoch
    decay = linear_decay(total_steps, total_steps // 2)  # a pure function of the step: --epochs may change on resume

    run_dir = args.runs_dir / args.name
    run_dir.mkdir(parents=True, exist_ok=True)
    resume_path = run_dir / "resume"
    meta = {"step": 0, "train_seconds": 0.0, "curve": []}
    if resume_path.with_suffix(".safetensors").is_file():
        meta = load_resume(resume_path, models, optimizers)
        print(f"resumed {args.name} at step {meta['step']}/{total_steps}", flush=True)

    step = meta["step"]
    last_save = time.time()
    window = {"d": 0.0, "g_gan": 0.0, "g_l1": 0.0, "n": 0}
    progress = tqdm(total=total_steps, initial=step, desc=args.name, mininterval=10, file=sys.stdout)
    while step < total_steps:
        epoch, offset = divmod(step, steps_per_epoch)
        order = torch.randperm(len(train), generator=torch.Generator().manual_seed(args.seed * 100_003 + epoch))
        generator = torch.Generator().manual_seed(args.seed * 100_003 + step)  # same augmentations after a resume
        torch.manual_seed(args.seed + step)  # dropout masks
        G.train()
        for batch_index in range(offset, steps_per_epoch):
            started = time.perf_counter()
            indices = order[batch_index * args.batch_size : (batch_index + 1) * args.batch_size]
            sketch, real = (t.to(device) for t in train.batch(indices, generator, augment=True))
            for optimizer in optimizers.values():
                for group in optimizer.param_groups:
                    group["lr"] = LEARNING_RATE * decay(step)
            fake = G(sketch)
            if D is not None:
                optimizers["D"].zero_grad(set_to_none=True)
                d_loss = discriminator_loss(D, sketch, real, fake)
                d_loss.backward()
                optimizers["D"].step()
                window["d"] += d_loss.item()
            optimizers["G"].zero_grad(set_to_none=True)
            g_loss, parts = generator_loss(D, sketch, real, fake)
            g_loss.backward()
            optimizers["G"].step()
            window["g_gan"] += parts["g_gan"]
            window["g_l1"] += parts["g_l1"]
            window["n"] += 1
            step += 1
            meta["train_seconds"] += time.perf_counter() - started
            progress.update(1)
            if step % 50 == 0:
                progress.set_postfix(l1=f"{window['g_l1'] / window['n']:.3f}", d=f"{window['d'] / window['n']:.3f}")
            if time.time() - last_save > 60 * args.checkpoint_minutes or step == total_steps:
                break
        if window["n"]:
            n = window.pop("n")
            point = {"step": step, "epoch": step / steps_per_epoch, **{k: v / n for k, v in window.items()}}
            if held_out is not None and step % steps_per_epoch == 0:  # each epoch's end: about 3 s
                point["held_out_l1"] = evaluate(G, held_out, device)["l1"]
            meta["curve"].append(point)
            window = {"d": 0.0, "g_gan": 0.0, "g_l1": 0.0, "n": 0}
        meta["step"] = step
        save_resume(resume_path, models, optimizers, meta)
        last_save = time.time()
    progress.close()

    images_per_second = step * args.batch_size / max(meta["train_seconds"], 1e-9)
    record = {
        "config": config,
        "data": source,
        "train_pairs": len(train),
        "training": {
            "epochs": args.epochs,
            "steps": step,
            "batch_size": args.batch_size,
            "seed": args.seed,
            "optimizer": "Adam lr 2e-4 betas (0.5, 0.999), constant then linear decay to 0 over the second half",
            "loss": "L1 only" if args.l1_only else "BCE-with-logits GAN (non-saturating) + 100 L1; D loss halved",
            "device": device_label(device),
            "threads": args.threads,
            "train_seconds": round(meta["train_seconds"], 1),
            "images_per_second": round(images_per_second, 2),
        },
        "curve": meta["curve"],
        "held_out": evaluate(G, held_out, device) if held_out is not None else None,
    }
    save_checkpoint(G, args.name, record, directory=args.checkpoint_dir, dtype=torch.float16)
    if D is not None:  # the demo shows the discriminator's per-patch verdict
        d_record = {"config": {"in_channels": train.in_channels + 3, "ndf": args.ndf}, "generator": args.name}
        save_checkpoint(D, f"{args.name}_d", d_record, directory=args.checkpoint_dir, dtype=torch.float16)
    print(json.dumps({"training": record["training"], "held_out": record["held_out"]}, indent=2))


if __name__ == "__main__":
    main()
