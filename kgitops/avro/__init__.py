"""Local Avro schema checks, with the verdicts of Confluent Schema Registry.

schema.py         parse a schema text (fastavro, plus Avro Java's stricter rules) into a
                  typed tree; `normalised`: one text per schema, to tell what is registered
resolution.py     can a reader schema read data written with a writer schema (Avro Java's
                  SchemaCompatibility rules), with a path and reason per problem
compatibility.py  the registry's levels (BACKWARD, FORWARD, FULL, _TRANSITIVE, NONE)

docs/compatibility.md says what each level means and how the rules were verified.
"""
