"""The course's small MNIST convolutional network, with its train and evaluate loops.

Runs on whatever device it is given: the GPU of a Batch host, or a CPU in tests.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """Two 3x3 convolutions, max pooling, dropout and two fully connected layers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def train(model, loader, optimizer, device, log_every=100):
    """One epoch of SGD; returns the mean training loss."""
    model.train()
    total, batches = 0.0, 0
    for i, (data, target) in enumerate(loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
        if log_every and i % log_every == 0:
            print(f"  batch {i}/{len(loader)} loss {loss.item():.4f}")
    return total / max(batches, 1)


def evaluate(model, loader, device):
    """Mean loss and accuracy in percent over a data set."""
    model.eval()
    loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            loss += F.nll_loss(output, target, reduction="sum").item()
            correct += (output.argmax(dim=1) == target).sum().item()
            count += len(target)
    return loss / max(count, 1), 100.0 * correct / max(count, 1)
