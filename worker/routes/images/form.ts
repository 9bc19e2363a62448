// Multipart bodies for `/v1/images/edits`, as the OpenAI SDK's `images.edit` and LiteLLM's proxy send them: files
// in `image` (or `image[]`, repeated), `mask` and (style transfer) `style_image`; every other part is a text field.
import { GatewayError } from "../../edge/errors.ts";
import { ImageInputError } from "../../protocols/images/errors.ts";
import type { Fields } from "../../protocols/images/fields.ts";
import { uploadedImage, type InputImage } from "../../protocols/images/sniff.ts";
import { bytesToBase64 } from "../../util/base64.ts";
import { readCapped } from "../body.ts";

export interface EditForm {
  fields: Fields;
  images: InputImage[];
  mask: InputImage | null;
  /** The mask's bytes as uploaded (for a provider whose masks read differently). */
  maskBytes: Uint8Array | null;
}

const IMAGE_PARTS = new Set(["image", "image[]", "style_image"]);

export async function readEditForm(req: Request, maxBytes: number): Promise<EditForm> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;\s*boundary=/i.test(type.trim())) {
    throw new GatewayError(415, "Content-Type must be multipart/form-data (with a boundary), as images.edit sends it.", "invalid_request_error");
  }
  if (!req.body) throw new GatewayError(400, "Request body is empty: expected a multipart form.", "invalid_request_error");
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  let form: FormData;
  try {
    // A declared length under the cap is enforced by the runtime: parse the stream directly. Otherwise count bytes.
    form = Number.isFinite(declared) && declared <= maxBytes
      ? await req.formData()
      : await new Response(new Blob([(await readCapped(req.body, maxBytes, Number.isFinite(declared))) as Uint8Array<ArrayBuffer>]), { headers: { "content-type": type } }).formData();
  } catch (e) {
    if (e instanceof GatewayError) throw e;
    throw new GatewayError(400, "The multipart body could not be parsed: check the boundary and each part's headers.", "invalid_request_error");
  }

  const fields: Fields = {};
  const images: InputImage[] = [];
  const styleImages: InputImage[] = [];
  let mask: InputImage | null = null;
  let maskBytes: Uint8Array | null = null;
  const parts: [string, string | File][] = [];
  form.forEach((value, name) => parts.push([name, value as string | File]));
  for (const [name, value] of parts) {
    if (typeof value === "string") {
      if (IMAGE_PARTS.has(name) || name === "mask") throw new ImageInputError(name, `'${name}' must be a file part, not a text field.`);
      if (Object.hasOwn(fields, name)) throw new ImageInputError(name, `'${name}' was sent more than once.`);
      fields[name] = value;
      continue;
    }
    const param = name === "image[]" ? "image" : name;
    if (!IMAGE_PARTS.has(name) && name !== "mask") throw new ImageInputError(name, `'${name}' is not a file this endpoint accepts (image, mask, style_image).`);
    const bytes = new Uint8Array(await value.arrayBuffer());
    const image = uploadedImage(bytes, bytesToBase64(bytes), param);
    if (name === "mask") {
      if (mask) throw new ImageInputError("mask", "'mask' was sent more than once.");
      mask = image;
      maskBytes = bytes;
    } else if (name === "style_image") styleImages.push(image);
    else images.push(image);
  }
  return { fields, images: [...images, ...styleImages], mask, maskBytes };
}
