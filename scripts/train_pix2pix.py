"""Train pix2pix (U-Net + PatchGAN, BCE + lambda L1) or its L1-only baseline on sketch -> emoji pairs.

    python -m scripts.build_pix2pix_data
    python -m scripts.train_pix2pix --name pix2pix_gan --minutes 60       # -> checkpoints/pix2pix_gan{,_d}.*
    python -m scripts.train_pix2pix --name pix2pix_l1 --l1-only --epochs 30  # -> checkpoints/pix2pix_l1.*
    python -m scripts.train_pix2pix --name facades --aligned facades --direction BtoA --image-size 256
    # an adversarial fine-tune of a trained L1-only generator (SRGAN's recipe: pretrain on the pixel loss first)
    python -m scripts.train_pix2pix --name pix2pix_gan --init-from checkpoints/pix2pix_l1 --lr 5e-5 --spectral-norm

Length: --epochs E, or --minutes M (train until M minutes of training time are spent). Either way the learning
rate is constant for the first half of the run and decays linearly to zero over the second half, so the run ends
with the decay done. When the run ends, or on Ctrl-C / SIGTERM, the model is evaluated on the held-out pairs
and written as a finished checkpoint with its JSON record.

Safe to kill: every --checkpoint-minutes the run's state goes to runs/<name>/resume.* (the same command
continues it) and a loadable snapshot of the model to runs/<name>/<name>.* (record "finished": false).

On a GPU the whole training set lives in GPU memory, augmentation runs there, the losses are read back only
every --log-every steps, and bf16 autocast and channels-last are on by default (--amp / --channels-last).
"""

import argparse
import hashlib
import json
import signal
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch
from tqdm import tqdm

from models.checkpoints import load_model, load_resume, provenance, save_checkpoint, save_resume
from models.device import device_label, select_device
from models.pix2pix import UPSAMPLINGS, PatchDiscriminator, UNetGenerator, init_weights
from models.pix2pix_data import IMAGE_SUFFIXES, PairedImages, load_aligned_folder, load_emoji_pairs
from models.pix2pix_training import (
    L1_WEIGHT,
    LEARNING_RATE,
    discriminator_loss,
    generate_all,
    generator_loss,
    held_out_metrics,
    learning_rate_factor,
    make_optimizer,
)

ROOT = Path(__file__).resolve().parent.parent
EMOJI_DATA = ROOT / "data" / "pix2pix" / "emoji128.npz"
LOSS_NAMES = ("d", "g_gan", "g_l1")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", required=True, help="checkpoint name, e.g. pix2pix_gan")
    parser.add_argument("--l1-only", action="store_true", help="the baseline: same U-Net, L1 loss, no discriminator")
    parser.add_argument("--aligned", type=Path, help="folder with train/ (and val/ or test/) of A|B images")
    parser.add_argument("--direction", default="AtoB", choices=["AtoB", "BtoA"])
    parser.add_argument("--image-size", type=int, default=128, help="emoji data is 128; aligned data is resized")
    parser.add_argument("--ngf", type=int, default=32, help="generator width (reference: 64)")
    parser.add_argument("--ndf", type=int, default=32, help="discriminator width (reference: 64)")
    parser.add_argument("--upsample", choices=UPSAMPLINGS, default="transposed", help="decoder upsampling")
    parser.add_argument("--spectral-norm", action="store_true", help="spectrally normalized D without BatchNorm")
    parser.add_argument(
        "--init-from", type=Path, help="start G from this checkpoint (path without suffix); its config wins"
    )
    parser.add_argument("--lr", type=float, default=LEARNING_RATE, help="Adam's learning rate before the decay")
    parser.add_argument("--batch-size", type=int, default=8)
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=int, help="run length in epochs (default 30 unless --minutes is given)")
    length.add_argument("--minutes", type=float, help="run length in minutes of training (excluding evaluation)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (the machine is shared)")
    parser.add_argument("--amp", choices=["auto", "on", "off"], default="auto", help="bf16 autocast (auto: on GPU)")
    parser.add_argument("--channels-last", choices=["auto", "on", "off"], default="auto", help="auto: on GPU")
    parser.add_argument("--log-every", type=int, default=50, help="steps between reading the losses back")
    parser.add_argument("--checkpoint-minutes", type=float, default=5.0)
    parser.add_argument("--runs-dir", type=Path, default=ROOT / "runs")
    parser.add_argument("--checkpoint-dir", type=Path, default=ROOT / "checkpoints")
    args = parser.parse_args(argv)
    if args.minutes is None and args.epochs is None:
        args.epochs = 30
    if (args.minutes is not None and args.minutes <= 0) or (args.epochs is not None and args.epochs < 1):
        parser.error("the run length must be positive")
    if not args.lr > 0:
        parser.error("the learning rate must be positive")
    return args


def files_sha256(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def load_data(args) -> tuple[PairedImages, PairedImages | None, str, str]:
    """(train, held-out or None, source label, data checksum)."""
    if args.aligned is None:
        if not EMOJI_DATA.is_file():
            raise SystemExit(f"{EMOJI_DATA} is missing: run python -m scripts.build_pix2pix_data first.")
        if args.image_size != 128:
            raise SystemExit("The emoji dataset is built at 128 px; use --image-size 128.")
        train, held_out = load_emoji_pairs(EMOJI_DATA, held_out=False), load_emoji_pairs(EMOJI_DATA, held_out=True)
        return train, held_out, "emoji", files_sha256([EMOJI_DATA])
    train = load_aligned_folder(args.aligned / "train", args.direction, args.image_size)
    held_out = next((args.aligned / s for s in ("val", "test") if (args.aligned / s).is_dir()), None)
    held_out_data = load_aligned_folder(held_out, args.direction, args.image_size) if held_out else None
    files = sorted(p for p in args.aligned.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    return train, held_out_data, f"aligned:{args.aligned.name}:{args.direction}", files_sha256(files)


def evaluate(G: UNetGenerator, data: PairedImages, device: torch.device) -> dict:
    """Held-out L1 (in [0, 1] units), SSIM, sharpness and checkerboard ratios, G in eval mode (no dropout)."""
    _, fake, real = generate_all(G, data, device)
    return held_out_metrics(fake, real)


class StopRequest:
    """Ctrl-C or SIGTERM ask the loop to stop at the next step and finish the model; a second Ctrl-C aborts."""

    def __init__(self):
        self.requested = False
        self.previous = {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            self.previous[sig] = signal.signal(sig, self.handle)
        return self

    def handle(self, signum, frame):
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        print(f"\n{signal.Signals(signum).name}: finishing the model (Ctrl-C again to abort)", flush=True)

    def __exit__(self, *exc):
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def resolve(option: str, device: torch.device) -> bool:
    """'auto' means on for a GPU, off for the CPU (where bf16 and channels-last convolutions are slower)."""
    return device.type == "cuda" if option == "auto" else option == "on"


class Trainer:
    """The training state and one loop for CPU and GPU; the loop never reads a tensor back except to log."""

    def __init__(self, args, device: torch.device):
        self.args, self.device = args, device
        train, self.held_out, self.source, self.data_sha256 = load_data(args)
        self.train = train.to(device)  # a few hundred MB of uint8 at most: fits any GPU
        self.amp = resolve(args.amp, device)
        self.channels_last = resolve(args.channels_last, device)
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        self.memory_format = memory_format
        if args.init_from is not None:
            self.G, self.init_record = load_model(UNetGenerator, args.init_from.name, args.init_from.parent)
        else:
            self.G = UNetGenerator(args.image_size, args.ngf, train.in_channels, upsample=args.upsample)
            init_weights(self.G)
            self.init_record = None
        self.G.to(device, memory_format=memory_format)
        self.models, self.optimizers = {"G": self.G}, {"G": make_optimizer(self.G, args.lr)}
        self.D = None
        if not args.l1_only:
            self.D = PatchDiscriminator(train.in_channels + 3, args.ndf, spectral_norm=args.spectral_norm)
            init_weights(self.D)
            self.D.to(device, memory_format=memory_format)
            self.models["D"], self.optimizers["D"] = self.D, make_optimizer(self.D, args.lr)
        self.steps_per_epoch = len(train) // args.batch_size  # drop the ragged last batch: BatchNorm wants full ones
        self.run_dir = args.runs_dir / args.name
        self.resume_path = self.run_dir / "resume"
        self.meta = {"step": 0, "train_seconds": 0.0, "curve": []}
        # Taken now: the code that trains is the code checked out when the run starts.
        self.provenance = provenance(self.data_sha256, device_label(device))

    # --- length and schedule ---

    def progress(self) -> float:
        """Fraction of the run done: by training time with --minutes, else by steps."""
        if self.args.minutes is not None:
            return self.meta["train_seconds"] / (60 * self.args.minutes)
        return self.meta["step"] / (self.args.epochs * self.steps_per_epoch)

    def set_learning_rate(self) -> None:
        lr = self.args.lr * learning_rate_factor(self.progress())
        for optimizer in self.optimizers.values():
            for group in optimizer.param_groups:
                group["lr"] = lr

    # --- one step ---

    def autocast(self):
        if not self.amp:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def step(self, sketch: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        """One D update and one G update; the three losses as a detached device tensor (no host sync)."""
        with self.autocast():
            fake = self.G(sketch)
        d_loss = torch.zeros((), device=self.device)
        if self.D is not None:
            self.optimizers["D"].zero_grad(set_to_none=True)
            with self.autocast():
                d_loss = discriminator_loss(self.D, sketch, real, fake)
            d_loss.backward()
            self.optimizers["D"].step()
        self.optimizers["G"].zero_grad(set_to_none=True)
        with self.autocast():
            g_loss, parts = generator_loss(self.D, sketch, real, fake)
        g_loss.backward()
        self.optimizers["G"].step()
        return torch.stack([d_loss.detach().float(), parts["g_gan"].float(), parts["g_l1"].float()])

    def batches(self, generator: torch.Generator):
        """(sketch, real) batches from the current step on, epoch by epoch, cut and augmented on the device."""
        args = self.args
        while True:
            epoch, offset = divmod(self.meta["step"], self.steps_per_epoch)
            epoch_order = torch.Generator(device=self.device).manual_seed(args.seed * 100_003 + epoch)
            order = torch.randperm(len(self.train), generator=epoch_order, device=self.device)
            for batch_index in range(offset, self.steps_per_epoch):
                indices = order[batch_index * args.batch_size : (batch_index + 1) * args.batch_size]
                sketch, real = self.train.batch(indices, generator, augment=True)
                yield (
                    sketch.contiguous(memory_format=self.memory_format),
                    real.contiguous(memory_format=self.memory_format),
                )

    # --- the loop ---

    def finished(self) -> bool:
        if self.args.minutes is not None:
            return self.progress() >= 1.0
        return self.meta["step"] >= self.args.epochs * self.steps_per_epoch

    def run(self, stop: StopRequest) -> str:
        """Train until the run's length is reached or a stop is requested; returns why it ended."""
        args = self.args
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.resume_path.with_suffix(".safetensors").is_file():
            self.meta = load_resume(self.resume_path, self.models, self.optimizers)
            print(f"resumed {args.name} at step {self.meta['step']}", flush=True)
        total = args.epochs * self.steps_per_epoch if args.epochs else None
        progress = tqdm(total=total, initial=self.meta["step"], desc=args.name, mininterval=10, file=sys.stdout)
        while not self.finished() and not stop.requested:
            self.train_chunk(stop, progress)
            self.save_state()
        progress.close()
        if stop.requested:
            return "stopped by a signal"
        return "time budget spent" if args.minutes is not None else "epochs done"

    def train_chunk(self, stop: StopRequest, progress: tqdm) -> None:
        """Steps until the next periodic save (or the end); appends the averaged losses to the curve."""
        args, meta = self.args, self.meta
        # Seeded by the step, so that a resumed run draws the same augmentations and dropout masks.
        generator = torch.Generator(device=self.device).manual_seed(args.seed * 100_003 + meta["step"])
        torch.manual_seed(args.seed + meta["step"])
        self.G.train()
        sums = torch.zeros(len(LOSS_NAMES), device=self.device)
        window = 0
        chunk_started = time.time()
        for sketch, real in self.batches(generator):
            started = time.perf_counter()
            self.set_learning_rate()
            sums += self.step(sketch, real)
            window += 1
            meta["step"] += 1
            meta["train_seconds"] += time.perf_counter() - started
            progress.update(1)
            if meta["step"] % args.log_every == 0:  # the only read-back: once every log_every steps
                means = (sums / window).tolist()
                progress.set_postfix(
                    l1=f"{means[2]:.3f}", d=f"{means[0]:.3f}", lr=f"{learning_rate_factor(self.progress()):.2f}x"
                )
            if self.finished() or stop.requested or time.time() - chunk_started > 60 * args.checkpoint_minutes:
                break
        if self.device.type == "cuda":  # charge the work still queued on the GPU to the training time
            started = time.perf_counter()
            torch.cuda.synchronize()
            meta["train_seconds"] += time.perf_counter() - started
        if window:
            point = {"step": meta["step"], "epoch": meta["step"] / self.steps_per_epoch}
            point |= dict(zip(LOSS_NAMES, (sums / window).tolist(), strict=True))
            if self.held_out is not None:
                point["held_out_l1"] = evaluate(self.G, self.held_out, self.device)["l1"]
            meta["curve"].append(point)

    def save_state(self) -> None:
        """The resume state and a loadable snapshot of the model, so that a killed run always leaves one."""
        save_resume(self.resume_path, self.models, self.optimizers, self.meta)
        self.write_checkpoints(self.run_dir, {"finished": False})

    # --- the result ---

    def training_record(self, ended: str) -> dict:
        args, meta = self.args, self.meta
        return {
            "l1_only": args.l1_only,
            "l1_weight": None if args.l1_only else L1_WEIGHT,
            "loss": "L1 only" if args.l1_only else "BCE-with-logits GAN (non-saturating) + lambda mean|y - G(x)|",
            "optimizer": f"Adam lr {args.lr:g} betas (0.5, 0.999), constant then linear decay to 0 over the second half",
            "initialized_from": None
            if self.init_record is None
            else {"checkpoint": str(args.init_from), "provenance": self.init_record.get("provenance")},
            "discriminator": None if args.l1_only else f"PatchGAN ndf {args.ndf}, spectral norm {args.spectral_norm}",
            "length": f"{args.minutes} minutes" if args.minutes is not None else f"{args.epochs} epochs",
            "ended": ended,
            "steps": meta["step"],
            "epochs_done": round(meta["step"] / self.steps_per_epoch, 2),
            "batch_size": args.batch_size,
            "seed": args.seed,
            "device": device_label(self.device),
            "threads": args.threads,
            "bf16_autocast": self.amp,
            "channels_last": self.channels_last,
            "train_seconds": round(meta["train_seconds"], 1),
            "images_per_second": round(meta["step"] * args.batch_size / max(meta["train_seconds"], 1e-9), 2),
        }

    def write_checkpoints(self, directory: Path, extra: dict) -> None:
        """G (and D) as fp16 safetensors with their JSON records."""
        common = {"provenance": self.provenance, **extra}
        record = {"data": self.source, "train_pairs": len(self.train), **common}
        save_checkpoint(self.G, self.args.name, record, directory=directory, dtype=torch.float16)
        if self.D is not None:  # the tab shows the discriminator's per-patch verdict
            d_record = {"generator": self.args.name, **common}
            save_checkpoint(self.D, f"{self.args.name}_d", d_record, directory=directory, dtype=torch.float16)

    def finish(self, ended: str) -> dict:
        """Evaluate on the held-out pairs and write the finished checkpoint and its record."""
        held_out = evaluate(self.G, self.held_out, self.device) if self.held_out is not None else None
        extra = {
            "finished": True,
            "training": self.training_record(ended),
            "curve": self.meta["curve"],
            "held_out": held_out,
        }
        self.write_checkpoints(self.args.checkpoint_dir, extra)
        return extra


def main(argv=None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    trainer = Trainer(args, select_device())
    with StopRequest() as stop:
        ended = trainer.run(stop)
        result = trainer.finish(ended)
    print(json.dumps({"training": result["training"], "held_out": result["held_out"]}, indent=2))


if __name__ == "__main__":
    main()
