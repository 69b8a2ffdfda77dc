// A tiny element builder: el('p', {className, dataset, ...props}, ...children). Text children
// become text nodes, so data never becomes markup.

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(node, rest);
  if (dataset) Object.assign(node.dataset, dataset);
  for (const child of children) {
    if (child === '' || child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}
