# Stele's image for compose.yaml: Node 20 on Debian, with pdftotext for PDF attachment text.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends poppler-utils python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# The search UI, built once into ui/dist and served by the API server.
RUN npm run build:ui
USER node
EXPOSE 8080 2525
CMD ["node", "bin/stele.mjs", "serve"]
