# %% [markdown]
# # Hands-on #2: deep learning on a GPU instance / GPU インスタンスで深層学習
#
# Run this notebook on the `Ec2ForDl` instance (AWS Deep Learning AMI with PyTorch).
# It does what the course does on its GPU instance:
#
# 1. checks that PyTorch sees the GPU,
# 2. times a matrix multiplication on the CPU and on the GPU,
# 3. trains a small convolutional network on MNIST and measures its accuracy.
#
# The same file runs as a script: `python mnist_gpu.py --epochs 3`.
# `--synthetic N` trains on N random images instead of downloading MNIST (the
# project's tests use it on a CPU).

# %%
import argparse
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print("PyTorch", torch.__version__, "| device:", DEVICE)
if DEVICE.type == "cuda":
    print("GPU:", torch.cuda.get_device_name(0))

# %% [markdown]
# ## 1. Matrix multiplication: CPU vs GPU / 行列積の速度比較
#
# A GPU runs thousands of multiply-adds at once. We multiply two random n×n matrices
# and time it. GPU calls return before the work is done, so we call
# `torch.cuda.synchronize()` before reading the clock, and run once untimed to warm up.


# %%
def time_matmul(n, device, repeats=3):
    """Seconds for one n×n @ n×n product on device (best of repeats)."""
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    a @ b  # warm-up: allocation, kernel selection
    if device.type == "cuda":
        torch.cuda.synchronize()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def matmul_table(sizes):
    """Print CPU and GPU times for each size, and the speed-up."""
    rows = []
    print(f"{'n':>6} {'CPU [ms]':>10} {'GPU [ms]':>10} {'speed-up':>9}")
    for n in sizes:
        cpu = time_matmul(n, torch.device("cpu"))
        gpu = time_matmul(n, DEVICE) if DEVICE.type == "cuda" else float("nan")
        rows.append((n, cpu, gpu))
        if gpu == gpu:  # not NaN: a GPU is there
            print(f"{n:>6} {cpu * 1e3:>10.2f} {gpu * 1e3:>10.2f} {cpu / gpu:>8.1f}x")
        else:
            print(f"{n:>6} {cpu * 1e3:>10.2f} {'-':>10} {'-':>9}")
    return rows


# %%
matmul_rows = matmul_table([1024, 2048, 4096]) if "ipykernel" in sys.modules else None

# %% [markdown]
# ## 2. MNIST: a small CNN / 手書き数字認識
#
# 28×28 grey images of digits 0-9. Two convolution layers and two fully connected
# layers, trained with SGD (the course's learning rate 0.01 and momentum 0.5).


# %%
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(self.dropout(x), 1)
        x = self.dropout(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


def mnist_loaders(batch_size, synthetic=0, data_dir="./data"):
    """Train and test loaders: real MNIST (downloaded once), or random images."""
    if synthetic:
        g = torch.Generator().manual_seed(0)
        images = torch.randn(synthetic, 1, 28, 28, generator=g)
        labels = torch.randint(0, 10, (synthetic,), generator=g)
        data = torch.utils.data.TensorDataset(images, labels)
        split = max(1, synthetic // 5)
        train, test = torch.utils.data.random_split(data, [synthetic - split, split], generator=g)
    else:
        from torchvision import datasets, transforms

        tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
        train = datasets.MNIST(data_dir, train=True, download=True, transform=tf)
        test = datasets.MNIST(data_dir, train=False, download=True, transform=tf)
    pin = DEVICE.type == "cuda"
    return (
        torch.utils.data.DataLoader(train, batch_size=batch_size, shuffle=True, pin_memory=pin),
        torch.utils.data.DataLoader(test, batch_size=1000, pin_memory=pin),
    )


def train_epoch(model, loader, optimizer):
    model.train()
    total = 0.0
    for images, labels in loader:
        images, labels = images.to(DEVICE), labels.to(DEVICE)
        optimizer.zero_grad()
        loss = F.nll_loss(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(labels)
    return total / len(loader.dataset)


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    loss, correct = 0.0, 0
    for images, labels in loader:
        images, labels = images.to(DEVICE), labels.to(DEVICE)
        out = model(images)
        loss += F.nll_loss(out, labels, reduction="sum").item()
        correct += (out.argmax(dim=1) == labels).sum().item()
    n = len(loader.dataset)
    return loss / n, correct / n


def train(epochs=3, batch_size=64, lr=0.01, momentum=0.5, synthetic=0):
    torch.manual_seed(0)
    train_loader, test_loader = mnist_loaders(batch_size, synthetic)
    model = Net().to(DEVICE)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    history = []
    print(f"{'epoch':>5} {'train loss':>10} {'test loss':>9} {'accuracy':>8} {'time [s]':>8}")
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        train_loss = train_epoch(model, train_loader, optimizer)
        test_loss, accuracy = evaluate(model, test_loader)
        seconds = time.perf_counter() - start
        history.append((epoch, train_loss, test_loss, accuracy, seconds))
        print(f"{epoch:>5} {train_loss:>10.4f} {test_loss:>9.4f} {accuracy:>8.2%} {seconds:>8.1f}")
    return model, history


# %%
if "ipykernel" in sys.modules:
    model, history = train(epochs=3)

# %% [markdown]
# On a g4dn.xlarge (NVIDIA T4) one epoch takes roughly ten seconds and the test
# accuracy reaches about 97-98% after three epochs. Try `DEVICE = torch.device("cpu")` and run the
# training again to feel the difference. Stop or destroy the instance when you are done:
# it bills by the second while it runs.


# %%
def main(argv=None):
    parser = argparse.ArgumentParser(description="CPU vs GPU matrix multiply, then MNIST training")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--momentum", type=float, default=0.5)
    parser.add_argument("--sizes", default="1024,2048,4096", help="matrix sizes, comma separated")
    parser.add_argument("--synthetic", type=int, default=0, help="train on N random images instead of MNIST")
    args = parser.parse_args(argv)
    matmul_table([int(s) for s in args.sizes.split(",")])
    _, history = train(args.epochs, args.batch_size, args.lr, args.momentum, args.synthetic)
    return history


if __name__ == "__main__" and "ipykernel" not in sys.modules:
    main()
