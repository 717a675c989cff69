"""Writes TensorFlow event files for the tests, encoded here by hand from the
TFRecord framing and TensorFlow's protobuf field numbers (event.proto,
summary.proto, tensor.proto): an oracle independent of kf's own .proto and
reader (runtime/tfevent). Debian has no TensorFlow or tensorboardX.

    w = EventWriter(path)
    w.scalar("accuracy", 0.91, step=1)           # TF2: a scalar float tensor (float_val)
    w.scalar("loss", 0.3, step=1, raw=True)      # TF2, the tensor as tensor_content
    w.simple("accuracy", 0.91, step=1)           # TF1 / tensorboardX: simple_value
    w.close()
"""
import os
import struct
import time


def _crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def _masked(data):
    crc = _crc32c(data)
    return struct.pack("<I", (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF)


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(num, wire, payload):
    key = _varint((num << 3) | wire)
    if wire == 2:
        return key + _varint(len(payload)) + payload
    return key + payload


def _event(step, summary_value):
    event = _field(1, 1, struct.pack("<d", time.time())) + _field(2, 0, _varint(step))
    return event + _field(5, 2, _field(1, 2, summary_value))  # Event.summary = Summary{value}


class EventWriter:
    def __init__(self, directory):
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, "events.out.tfevents.%d.%s.%d.v2" % (time.time(), os.uname().nodename, os.getpid()))
        self.f = open(path, "wb")
        self._record(_field(1, 1, struct.pack("<d", time.time())) + _field(3, 2, b"brain.Event:2"))

    def _record(self, data):
        length = struct.pack("<Q", len(data))
        self.f.write(length + _masked(length) + data + _masked(data))
        self.f.flush()

    def scalar(self, tag, value, step, raw=False):
        # TensorProto{dtype: DT_FLOAT, tensor_shape: {}, float_val | tensor_content}
        tensor = _field(1, 0, _varint(1)) + _field(2, 2, b"")
        tensor += _field(4, 2, struct.pack("<f", value)) if raw else _field(5, 2, struct.pack("<f", value))
        metadata = _field(1, 2, _field(1, 2, b"scalars"))  # SummaryMetadata.plugin_data.plugin_name
        self._record(_event(step, _field(1, 2, tag.encode()) + _field(9, 2, metadata) + _field(8, 2, tensor)))

    def simple(self, tag, value, step):
        self._record(_event(step, _field(1, 2, tag.encode()) + _field(2, 5, struct.pack("<f", value))))

    def close(self):
        self.f.close()
