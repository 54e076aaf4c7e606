using Google.Protobuf;

namespace Meshwork.Xds.Protos.Tests.Support;

/// Reads the top-level tags of a serialized message, so tests can assert the field numbers that
/// actually reach the wire rather than what the generated C# claims.
internal static class WireFields
{
    public static IReadOnlyList<(int Number, WireFormat.WireType WireType)> TopLevel(IMessage message)
    {
        var input = new CodedInputStream(message.ToByteArray());
        var fields = new List<(int, WireFormat.WireType)>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            fields.Add((WireFormat.GetTagFieldNumber(tag), WireFormat.GetTagWireType(tag)));
            input.SkipLastField();
        }

        return fields;
    }

    /// The single varint value of field number, or null when the field is absent.
    public static ulong? Varint(IMessage message, int number)
    {
        var input = new CodedInputStream(message.ToByteArray());
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == number && WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint)
            {
                return input.ReadUInt64();
            }

            input.SkipLastField();
        }

        return null;
    }
}
