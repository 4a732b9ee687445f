"""SimpleBatch training job: MNIST with one learning rate and momentum.

As in the course: 80 % of the MNIST training set trains, 20 % validates (split with a
fixed seed, so every job of a sweep sees the same split), SGD with --lr and
--momentum for --epochs epochs. After every epoch it writes
metrics_lr<lr>_m<momentum>.csv (epoch, train loss, validation loss, validation
accuracy) and, with --uploadS3 true, uploads it to the bucket in BUCKET_NAME, so a
sweep can be watched and a job that dies still leaves its curve.

    python train.py --lr 0.01 --momentum 0.5 --epochs 10 --uploadS3 true
    python train.py --lr 0.01 --momentum 0.5 --epochs 2 --synthetic-batches 4 --output-dir /tmp
"""

import argparse
import os
import sys
import time

import metrics

# PyTorch is imported once the arguments are known to be good: a typo fails at once.

SPLIT_SEED = 1008  # the course's seed: the same train/validation split for every job
BATCH_SIZE = 64


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-l", "--lr", type=metrics.grid_value("lr", 0.0001, 10.0), required=True,
                   help="learning rate, e.g. 0.01")
    p.add_argument("-m", "--momentum", type=metrics.grid_value("momentum", 0.0, 1.0), required=True,
                   help="SGD momentum in [0, 1), e.g. 0.5")
    p.add_argument("-e", "--epochs", type=int, default=50, help="training epochs (default 50)")
    p.add_argument("-u", "--uploadS3", type=metrics.parse_bool, default=False, metavar="{true,false}",
                   help="upload the metrics file to the bucket in BUCKET_NAME (default false)")
    p.add_argument("--output-dir", default=".", help="where the metrics file is written (default .)")
    p.add_argument("--data-root", default=os.environ.get("MNIST_ROOT", "/mnist"),
                   help="MNIST as downloaded by torchvision at image build time")
    p.add_argument("--synthetic-batches", type=int, default=0,
                   help="train on this many batches of random images instead of MNIST (tests)")
    args = p.parse_args(argv)
    if args.epochs < 1:
        p.error("--epochs must be at least 1")
    # The metrics file is first written after the first epoch: make its folder now, so a
    # bad --output-dir stops the run at once with one line instead of a traceback later.
    try:
        os.makedirs(args.output_dir, exist_ok=True)
    except OSError as e:
        p.error(f"--output-dir {args.output_dir}: cannot create it: {e.strerror}")
    return args


def load_dataset(args):
    import torch
    from torch.utils.data import TensorDataset

    if args.synthetic_batches > 0:
        # Random 28x28 images whose label is the brightest of ten horizontal bands:
        # something the network can start to learn in a few batches.
        g = torch.Generator().manual_seed(0)
        n = args.synthetic_batches * BATCH_SIZE
        images = torch.rand(n, 1, 28, 28, generator=g)
        labels = torch.randint(0, 10, (n,), generator=g)
        for i, label in enumerate(labels.tolist()):
            images[i, 0, 2 * label + 4, :] += 1.0
        return TensorDataset(images, labels)
    from torchvision import datasets, transforms  # only needed for the real data

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    return datasets.MNIST(root=args.data_root, train=True, download=False, transform=transform)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    bucket = metrics.bucket_from_env() if args.uploadS3 else None  # fail before training, not after

    import torch
    import torch.optim as optim
    from torch.utils.data import DataLoader, random_split

    from simple_mnist import Model, evaluate, train

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print(f"lr={args.lr} momentum={args.momentum} epochs={args.epochs} device={device}"
          + (f" ({torch.cuda.get_device_name(0)})" if device.type == "cuda" else ""))

    dataset = load_dataset(args)
    train_size = int(len(dataset) * 0.8)
    trainset, valset = random_split(dataset, [train_size, len(dataset) - train_size],
                                    generator=torch.Generator().manual_seed(SPLIT_SEED))
    workers = 2 if device.type == "cuda" else 0
    loader_args = dict(batch_size=BATCH_SIZE, num_workers=workers, pin_memory=device.type == "cuda")
    trainloader = DataLoader(trainset, shuffle=True, **loader_args)
    valloader = DataLoader(valset, shuffle=False, **loader_args)

    torch.manual_seed(SPLIT_SEED)
    model = Model().to(device)
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)

    key = metrics.metrics_key(args.lr, args.momentum)
    path = os.path.join(args.output_dir, key)
    rows = []
    for epoch in range(1, args.epochs + 1):
        start = time.monotonic()
        train_loss = train(model, trainloader, optimizer, device)
        val_loss, val_accuracy = evaluate(model, valloader, device)
        rows.append((epoch, train_loss, val_loss, val_accuracy))
        print(f"epoch {epoch}/{args.epochs}: train_loss {train_loss:.4f} val_loss {val_loss:.4f} "
              f"val_accuracy {val_accuracy:.2f}% ({time.monotonic() - start:.1f} s)")
        metrics.write_csv(rows, path)
        if bucket:
            metrics.upload(path, bucket, key)
    print(f"wrote {path}" + (f" and s3://{bucket}/{key}" if bucket else ""))


if __name__ == "__main__":
    main()
