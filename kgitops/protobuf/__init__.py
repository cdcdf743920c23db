"""Protobuf subjects: parsing with protoc (grpcio-tools' in-process compiler), the compared
form, and the local compatibility verdict.

Imported only when a cluster declares a `.proto` subject: protoc and the descriptor
classes cost about 0.1 s to import (docs/compatibility.md, "Protobuf").
"""
