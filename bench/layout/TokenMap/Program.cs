using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

// tokenmap ILC_RSP: one line per method definition of every assembly the NativeAOT compiler was given
// (its response file: inputs and -r: references, paths relative to the current directory):
//   module MVID (32 hex) \t method token (8 hex) \t assembly \t namespace \t type path (nested with +) \t method
// The compiler's reachability instrumentation marks methods by MVID and token; this names them.
foreach (var line in File.ReadLines(args[0]))
{
    var path = line.StartsWith("-r:", StringComparison.Ordinal) ? line[3..] : line;
    if (path.StartsWith('-') || !path.EndsWith(".dll", StringComparison.Ordinal) || !File.Exists(path))
    {
        continue;
    }

    using var pe = new PEReader(File.OpenRead(path));
    if (!pe.HasMetadata)
    {
        continue;
    }

    var md = pe.GetMetadataReader();
    if (!md.IsAssembly)
    {
        continue;
    }

    var mvid = md.GetGuid(md.GetModuleDefinition().Mvid).ToString("N");
    var assembly = md.GetString(md.GetAssemblyDefinition().Name);
    foreach (var handle in md.TypeDefinitions)
    {
        var type = md.GetTypeDefinition(handle);
        var names = new List<string>();
        var current = type;
        while (true)
        {
            names.Insert(0, md.GetString(current.Name));
            if (current.GetDeclaringType().IsNil)
            {
                break;
            }

            current = md.GetTypeDefinition(current.GetDeclaringType());
        }

        var ns = md.GetString(current.Namespace);
        foreach (var method in type.GetMethods())
        {
            var name = md.GetString(md.GetMethodDefinition(method).Name);
            Console.WriteLine($"{mvid}\t{MetadataTokens.GetToken(method):X8}\t{assembly}\t{ns}\t{string.Join('+', names)}\t{name}");
        }
    }
}
