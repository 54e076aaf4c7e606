using System.Buffers;
using System.IO.Hashing;
using System.Text;

namespace Meshwork.Proxy.Hashing;

/// <summary>
/// XXH64 of a string's UTF-8 bytes: the hash Envoy's hash policies and ring/Maglev tables use
/// (HashUtil::xxHash64), so a key lands where it would behind Envoy. One definition for the route's
/// hash policies and the clusters' consistent-hash tables, which must agree.
/// </summary>
public static class StableHash
{
    public static ulong Hash(string? text, ulong seed = 0) => Hash(text.AsSpan(), seed);

    public static ulong Hash(ReadOnlySpan<char> text, ulong seed = 0)
    {
        var length = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rented = null;
        var bytes = length <= 512 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(text, bytes);
            return XxHash64.HashToUInt64(bytes[..written], unchecked((long)seed));
        }
        finally
        {
            if (rented != null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
