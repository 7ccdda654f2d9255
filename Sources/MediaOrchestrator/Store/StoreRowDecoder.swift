import Foundation

/// Decodes a row into a Codable record whose coding keys are its column names: the same records
/// come out of SQLite and PostgreSQL. Numbers convert as the two databases store them (a REAL
/// that holds a whole number may come back as an INTEGER, a boolean as 0 or 1).
struct StoreRowDecoder: Decoder {
    let row: StoreRow
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Keyed<Key>(row: row, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "a row has no lists"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(StoreValue.self, .init(codingPath: codingPath, debugDescription: "a row is not one value"))
    }

    private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: StoreRow
        let codingPath: [any CodingKey]
        var allKeys: [Key] { row.columns.keys.compactMap(Key.init(stringValue:)) }

        func contains(_ key: Key) -> Bool { row.columns[key.stringValue] != nil }
        func decodeNil(forKey key: Key) throws -> Bool { row[key.stringValue] == .null }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try T(from: Value(value: row[key.stringValue], codingPath: codingPath + [key]))
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            throw DecodingError.typeMismatch(type, .init(codingPath: codingPath + [key], debugDescription: "a column holds one value"))
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath + [key], debugDescription: "a column holds one value"))
        }

        func superDecoder() throws -> any Decoder { StoreRowDecoder(row: row, codingPath: codingPath) }
        func superDecoder(forKey key: Key) throws -> any Decoder { StoreRowDecoder(row: row, codingPath: codingPath + [key]) }
    }

    /// One column's value, for the records' enums (a state's raw value) and plain fields.
    private struct Value: Decoder, SingleValueDecodingContainer {
        let value: StoreValue
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            throw mismatch(type)
        }
        func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw mismatch([Any].self) }
        func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

        func decodeNil() -> Bool { value == .null }

        func decode(_ type: Bool.Type) throws -> Bool {
            switch value {
            case .integer(let i): return i != 0
            default: throw mismatch(type)
            }
        }

        func decode(_ type: String.Type) throws -> String {
            guard case .text(let s) = value else { throw mismatch(type) }
            return s
        }

        func decode(_ type: Double.Type) throws -> Double {
            switch value {
            case .integer(let i): return Double(i)
            case .real(let d): return d
            default: throw mismatch(type)
            }
        }

        func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

        func decode(_ type: Int.Type) throws -> Int {
            switch value {
            case .integer(let i): return i
            case .real(let d) where d.rounded() == d && abs(d) < 1e15: return Int(d)
            default: throw mismatch(type)
            }
        }

        func decode(_ type: Int8.Type) throws -> Int8 { try exactly(type) }
        func decode(_ type: Int16.Type) throws -> Int16 { try exactly(type) }
        func decode(_ type: Int32.Type) throws -> Int32 { try exactly(type) }
        func decode(_ type: Int64.Type) throws -> Int64 { try exactly(type) }
        func decode(_ type: UInt.Type) throws -> UInt { try exactly(type) }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try exactly(type) }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try exactly(type) }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try exactly(type) }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try exactly(type) }

        func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }

        private func exactly<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
            guard let v = T(exactly: try decode(Int.self)) else { throw mismatch(type) }
            return v
        }

        private func mismatch(_ type: Any.Type) -> DecodingError {
            .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "the column holds \(value)"))
        }
    }
}
