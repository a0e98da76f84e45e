using System.Reflection;
using Mtl.Torch.Modules;

namespace Mtl.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Base of every layer and model: owns parameters, buffers and child modules by name, in
        /// registration order. Disposing a module disposes all of them.
        /// </summary>
        public abstract class Module : IDisposable
        {
            private readonly List<KeyValuePair<string, Parameter?>> _parameters = new();
            private readonly List<KeyValuePair<string, Tensor>> _buffers = new();
            private readonly HashSet<string> _nonPersistent = new();
            private readonly List<KeyValuePair<string, Module>> _modules = new();
            private bool _disposed;

            protected Module(string name)
            {
                GetName = name;
            }

            /// <summary>The module's type name (as PyTorch prints it).</summary>
            public string GetName { get; }

            public bool training { get; private set; } = true;

            // ---- registration ------------------------------------------------------------------

            public void register_parameter(string name, Parameter? parameter)
            {
                CheckName(name);
                Replace(_parameters, name, parameter);
            }

            /// <summary>Registers a buffer (state that is not trained, like running means).</summary>
            public void register_buffer(string name, Tensor buffer, bool persistent = true)
            {
                CheckName(name);
                buffer.DetachFromDisposeScope();
                Replace(_buffers, name, buffer);
                if (!persistent) _nonPersistent.Add(name);
            }

            public void register_module(string name, Module module)
            {
                CheckName(name);
                Replace(_modules, name, module);
            }

            private void CheckName(string name)
            {
                if (string.IsNullOrEmpty(name) || name.Contains('.'))
                {
                    throw new ArgumentException($"'{name}' is not a valid component name: it must be non-empty and contain no '.'", nameof(name));
                }
                var taken = _parameters.Any(p => p.Key == name) || _buffers.Any(b => b.Key == name) || _modules.Any(m => m.Key == name);
                if (taken)
                {
                    throw new ArgumentException($"{GetName} already has a component named '{name}'", nameof(name));
                }
            }

            private static void Replace<T>(List<KeyValuePair<string, T>> list, string name, T value)
            {
                list.RemoveAll(p => p.Key == name);
                list.Add(new(name, value));
            }

            /// <summary>
            /// Registers every field (and auto-property) of the derived type that holds a module,
            /// a parameter or a tensor (as a buffer), named after the member. Call it at the end of
            /// the constructor. Base classes' members come first, as their constructors assign them
            /// first (so the order matches PyTorch's for the same class hierarchy).
            /// </summary>
            protected void RegisterComponents()
            {
                var hierarchy = new Stack<Type>();
                for (var type = GetType(); type is not null && type != typeof(Module); type = type.BaseType) hierarchy.Push(type);
                foreach (var type in hierarchy)
                {
                    var fields = type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly);
                    foreach (var field in fields)
                    {
                        var name = MemberName(field.Name);
                        if (_parameters.Any(p => p.Key == name) || _buffers.Any(b => b.Key == name) || _modules.Any(m => m.Key == name)) continue;
                        switch (field.GetValue(this))
                        {
                            case Module module:
                                register_module(name, module);
                                break;
                            case Parameter parameter:
                                register_parameter(name, parameter);
                                break;
                            case Tensor tensor when typeof(Tensor).IsAssignableFrom(field.FieldType):
                                register_buffer(name, tensor);
                                break;
                        }
                    }
                }
            }

            private static string MemberName(string fieldName)
            {
                // Auto-properties store their value in "<Name>k__BackingField".
                if (fieldName.StartsWith('<'))
                {
                    var end = fieldName.IndexOf('>');
                    if (end > 1) return fieldName[1..end];
                }
                return fieldName;
            }

            // ---- traversal ---------------------------------------------------------------------

            public IEnumerable<(string name, Module module)> named_children() => _modules.Select(m => (m.Key, m.Value));

            public IEnumerable<Module> children() => _modules.Select(m => m.Value);

            /// <summary>
            /// This module and every descendant, depth first. With <paramref name="remove_duplicate"/>
            /// (the default) a module reachable under several names is listed once, under the first;
            /// without it, under every name (as <see cref="state_dict"/> lists it, like PyTorch).
            /// </summary>
            public IEnumerable<(string name, Module module)> named_modules(bool remove_duplicate = true)
            {
                var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
                return NamedModules("", seen, remove_duplicate);
            }

            /// <summary><paramref name="seen"/> holds every module listed so far, or without removeDuplicate the ancestors (to stop on a cycle).</summary>
            private IEnumerable<(string name, Module module)> NamedModules(string prefix, HashSet<Module> seen, bool removeDuplicate)
            {
                if (!seen.Add(this))
                {
                    if (removeDuplicate) yield break;
                    throw new InvalidOperationException($"{GetName} '{prefix}' contains itself");
                }
                yield return (prefix, this);
                foreach (var (name, child) in _modules)
                {
                    foreach (var item in child.NamedModules(prefix.Length == 0 ? name : prefix + "." + name, seen, removeDuplicate))
                    {
                        yield return item;
                    }
                }
                if (!removeDuplicate) seen.Remove(this);
            }

            public IEnumerable<Module> modules() => named_modules().Select(m => m.module);

            /// <summary>Parameters with dotted names, each shared parameter once.</summary>
            public IEnumerable<(string name, Parameter parameter)> named_parameters(bool recurse = true)
            {
                var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
                foreach (var (prefix, module) in recurse ? named_modules() : [("", this)])
                {
                    foreach (var (name, parameter) in module._parameters)
                    {
                        if (parameter is null || !seen.Add(parameter)) continue;
                        yield return (prefix.Length == 0 ? name : prefix + "." + name, parameter);
                    }
                }
            }

            public IEnumerable<Parameter> parameters(bool recurse = true) => named_parameters(recurse).Select(p => p.parameter);

            public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true)
            {
                var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
                foreach (var (prefix, module) in recurse ? named_modules() : [("", this)])
                {
                    foreach (var (name, buffer) in module._buffers)
                    {
                        if (!seen.Add(buffer)) continue;
                        yield return (prefix.Length == 0 ? name : prefix + "." + name, buffer);
                    }
                }
            }

            public IEnumerable<Tensor> buffers(bool recurse = true) => named_buffers(recurse).Select(b => b.buffer);

            // ---- state -------------------------------------------------------------------------

            /// <summary>
            /// Parameters and persistent buffers by dotted name, in registration order. The values are
            /// the module's own tensors (not copies): do not dispose them. As in PyTorch, a submodule
            /// registered under several names appears under each of them (tied weights included).
            /// </summary>
            public Dictionary<string, Tensor> state_dict()
            {
                var result = new Dictionary<string, Tensor>();
                foreach (var (prefix, module) in named_modules(remove_duplicate: false))
                {
                    foreach (var (name, parameter) in module._parameters)
                    {
                        if (parameter is not null) result.TryAdd(Join(prefix, name), parameter);
                    }
                    foreach (var (name, buffer) in module._buffers)
                    {
                        if (!module._nonPersistent.Contains(name)) result.TryAdd(Join(prefix, name), buffer);
                    }
                }
                return result;
            }

            private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

            /// <summary>
            /// Copies values into this module's parameters and buffers (in place: identities are kept).
            /// With <paramref name="strict"/>, missing or unexpected keys are an error; a shape
            /// mismatch always is. Returns the keys that were missing and unexpected.
            /// </summary>
            public (IList<string> missing_keys, IList<string> unexpected_keys) load_state_dict(IReadOnlyDictionary<string, Tensor> source, bool strict = true)
            {
                var own = state_dict();
                var missing = own.Keys.Where(k => !source.ContainsKey(k)).ToList();
                var unexpected = source.Keys.Where(k => !own.ContainsKey(k)).ToList();
                if (strict && (missing.Count > 0 || unexpected.Count > 0))
                {
                    var parts = new List<string>();
                    if (missing.Count > 0) parts.Add("missing keys: " + string.Join(", ", missing));
                    if (unexpected.Count > 0) parts.Add("unexpected keys: " + string.Join(", ", unexpected));
                    throw new ArgumentException($"error loading the state of {GetName}: " + string.Join("; ", parts), nameof(source));
                }
                foreach (var (key, target) in own)
                {
                    if (!source.TryGetValue(key, out var value)) continue;
                    var expected = target.shape;
                    var actual = value.shape;
                    if (!expected.AsSpan().SequenceEqual(actual))
                    {
                        throw new ArgumentException($"error loading '{key}' into {GetName}: the module has shape {Tensor.FormatShape(expected)} but the state has {Tensor.FormatShape(actual)}", nameof(source));
                    }
                }
                foreach (var (key, target) in own)
                {
                    if (source.TryGetValue(key, out var value)) target.copy_(value);
                }
                return (missing, unexpected);
            }

            // ---- modes and devices -------------------------------------------------------------

            /// <summary>
            /// Sets training mode on this module and every descendant. A derived module may override
            /// it to keep some descendants in another mode (as in PyTorch); <see cref="eval"/> calls it.
            /// </summary>
            public virtual Module train(bool mode = true)
            {
                foreach (var module in modules()) module.training = mode;
                return this;
            }

            /// <summary>Sets evaluation mode on this module and every descendant.</summary>
            public Module eval() => train(false);

            /// <summary>Moves parameters and buffers, keeping every parameter's identity.</summary>
            public Module to(Device device) => Convert(t => t.to(device));

            /// <summary>Converts floating-point parameters and buffers, keeping identities.</summary>
            public Module to(ScalarType dtype)
            {
                RequireFloatingPoint(dtype);
                return Convert(t => ScalarTypeInfo.IsFloatingPoint(t.dtype) ? t.to(dtype) : null);
            }

            public Module to(ScalarType dtype, Device device)
            {
                RequireFloatingPoint(dtype);
                return Convert(t => ScalarTypeInfo.IsFloatingPoint(t.dtype) ? t.to(dtype, device) : t.to(device));
            }

            /// <summary>As in PyTorch, a module converts to floating-point dtypes only (integer parameters could not train).</summary>
            private void RequireFloatingPoint(ScalarType dtype)
            {
                if (!ScalarTypeInfo.IsFloatingPoint(dtype))
                {
                    throw new ArgumentException($"{GetName}.to accepts floating-point dtypes only, not {ScalarTypeInfo.Name(dtype)}", nameof(dtype));
                }
            }

            public Module cpu() => to(Device.CPU);

            public Module cuda(int index = -1) => to(new Device(DeviceType.CUDA, index));

            /// <summary>Replaces each tensor's data with its converted form (null: leave it as it is).</summary>
            private Module Convert(Func<Tensor, Tensor?> convert)
            {
                using var scope = NewDisposeScope();
                var tensors = new List<Tensor>(parameters());
                tensors.AddRange(buffers());
                foreach (var tensor in tensors)
                {
                    var converted = convert(tensor);
                    if (converted is null) continue;
                    var grad = tensor.grad;
                    tensor.set_(converted);
                    if (grad is not null) tensor.grad = convert(grad);
                }
                return this;
            }

            /// <summary>Zeros (or drops) the gradient of every parameter.</summary>
            public void zero_grad(bool set_to_none = true)
            {
                foreach (var parameter in parameters()) parameter.zero_grad(set_to_none);
            }

            public override string ToString() => GetName;

            public void Dispose()
            {
                Dispose(true);
                GC.SuppressFinalize(this);
            }

            protected virtual void Dispose(bool disposing)
            {
                if (_disposed || !disposing) return;
                _disposed = true;
                foreach (var (_, parameter) in _parameters) parameter?.Dispose();
                foreach (var (_, buffer) in _buffers) buffer.Dispose();
                foreach (var (_, module) in _modules) module.Dispose();
            }
        }

        /// <summary>A module with one input and one result.</summary>
        public abstract class Module<T, TResult> : Module
        {
            protected Module(string name) : base(name)
            {
            }

            public abstract TResult forward(T input);

            public TResult call(T input) => forward(input);
        }

        /// <summary>A module with two inputs and one result.</summary>
        public abstract class Module<T1, T2, TResult> : Module
        {
            protected Module(string name) : base(name)
            {
            }

            public abstract TResult forward(T1 input1, T2 input2);

            public TResult call(T1 input1, T2 input2) => forward(input1, input2);
        }
    }
}
